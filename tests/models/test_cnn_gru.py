import torch

from artlib.models import create_model


def test_cnn_gru_reads_a_sequence():
    model = create_model("cnn_gru", {"a": 3}, hidden=16).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        base = model.embed(x)
        flipped = model.embed(torch.flip(x, dims=[3]))
    assert not torch.allclose(base, flipped)  # order of patches matters
