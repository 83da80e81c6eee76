import pytest
import torch

from artlib.models.siamese import SiameseNet, classify_then_compare, parse_siamese_spec, siamese


@pytest.mark.parametrize("combine", ["concat", "absdiff", "product", "all"])
def test_siamese_shapes(combine):
    model = siamese("simple_cnn", combine, widths=(4, 8))
    out = model(torch.randn(3, 2, 3, 32, 32))["same"]
    assert out.shape == (3, 2)
    with pytest.raises(ValueError, match="pairs"):
        model(torch.randn(3, 3, 32, 32))
    with pytest.raises(ValueError):
        SiameseNet(torch.nn.Identity(), 4, combine="max")


def test_siamese_is_symmetric_for_symmetric_combinations():
    model = siamese("simple_cnn", "absdiff", widths=(4, 8)).eval()
    x = torch.randn(2, 2, 3, 32, 32)
    torch.testing.assert_close(model(x)["same"], model(x.flip(1))["same"])


def test_classify_then_compare():
    a = torch.tensor([[1.0, 0, 0], [0.5, 0.5, 0]])
    b = torch.tensor([[1.0, 0, 0], [0, 0, 1.0]])
    assert classify_then_compare(a, b).tolist() == [1.0, 0.0]


def test_parse_siamese_spec_accepts_three_parts_and_names_what_is_wrong():
    assert parse_siamese_spec("efficientnet_lite0:all:frozen") == ("efficientnet_lite0", "all", "frozen")
    for bad, word in [
        ("simple_cnn", "backbone:combine:training"),
        ("simple_cnn:sum:scratch", "combine"),
        ("simple_cnn:all:finetuned", "training"),
        (":all:scratch", "backbone:combine:training"),
    ]:
        with pytest.raises(ValueError, match=word):
            parse_siamese_spec(bad)


def test_profiles_name_valid_siamese_models():
    from artlib.config import PROFILES, settings

    for name in PROFILES:
        assert all(parse_siamese_spec(s) for s in settings(profile=name).siamese_models), name
    with pytest.raises(ValueError, match="combine"):
        settings(siamese_models=("simple_cnn:sum:scratch",))
