import math

import pytest
import torch

from artlib.models import create_model, list_models


def test_create_classifier_names_a_model_without_a_backbone():
    """Found by mypy: code that needs .backbone took any registered model (hpo passed a Tensor | Module on)."""
    from artlib.models import create_classifier

    assert create_classifier("simple_cnn_tiny", {"style": 3}).feature_dim > 0
    with pytest.raises(TypeError, match="'metric_embedding' is a EmbeddingNet, not a classifier"):
        create_classifier("metric_embedding", {"style": 3})


@pytest.mark.parametrize("scale", ["small", "full"])
def test_every_architecture_role_names_a_registered_model(scale):
    from artlib.config import ARCHITECTURES

    assert set(ARCHITECTURES[scale].values()) <= set(list_models()), scale
    model = create_model("cnn_gru_resnet34", {"style": 3}).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64))["style"].shape == (1, 3)


def test_create_backbone_is_a_feature_extractor():
    import torch

    from artlib.models import create_backbone

    model = create_backbone("simple_cnn", widths=(4, 8)).eval()
    with torch.no_grad():
        emb = model.embed(torch.randn(2, 3, 32, 32))
    assert emb.shape == (2, model.feature_dim)


def test_registry():
    assert "simple_cnn" in list_models()
    with pytest.raises(KeyError, match="available"):
        create_model("no_such_net", 3)
    out = create_model("simple_cnn", {"a": 3, "b": 5}, widths=(4, 8))(torch.randn(2, 3, 16, 16))
    assert out["a"].shape == (2, 3) and out["b"].shape == (2, 5)
    assert not math.isnan(float(out["a"].detach().sum()))
    # task names that clash with nn.Module attributes (WGA's "type") or contain dots still work
    out = create_model("simple_cnn", {"type": 2, "a.b": 3}, widths=(4, 8))(torch.randn(1, 3, 16, 16))
    assert set(out) == {"type", "a.b"}
