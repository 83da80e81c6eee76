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
    """As timm's num_classes=0: no placeholder head (it was a 2-class head called "_"), forward gives features."""
    from artlib.models import create_backbone

    model = create_backbone("simple_cnn", widths=(4, 8)).eval()
    with torch.no_grad():
        emb = model.embed(torch.randn(2, 3, 32, 32))
        out = model(torch.randn(2, 3, 32, 32))
    assert emb.shape == out.shape == (2, model.feature_dim)
    assert model.num_classes == {} and isinstance(model.head, torch.nn.Identity)
    assert not any(key.startswith("head.") for key in model.state_dict())


@pytest.mark.parametrize("name", ["simple_cnn_tiny", "efficientnet_lite0", "rla_resnet_compact", "cnn_gru_compact"])
def test_every_classifier_keeps_the_forward_features_forward_head_contract(name):
    from artlib.models import create_classifier
    from artlib.models.contract import Backbone, FeatureNet

    torch.manual_seed(0)
    model = create_model(name, None).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        features = model.forward_features(x)
        assert isinstance(model, FeatureNet) and isinstance(model.backbone, Backbone)
        assert features.shape == (2, model.feature_dim) == (2, model.backbone.out_features)
        assert torch.equal(model(x), features)
        model.reset_classifier({"style": 4, "genre": 3})
        logits = model.forward_head(features)
        assert {task: v.shape for task, v in logits.items()} == {"style": (2, 4), "genre": (2, 3)}
        assert torch.allclose(model(x)["style"], logits["style"])
    classifier = create_classifier(name, {"style": 4})
    assert set(classifier.state_dict()) - set(model.state_dict()) == set()  # same keys as one given heads after


def test_staged_backbone_refuses_a_network_without_groups():
    from artlib.models.contract import staged_backbone

    backbone, groups = staged_backbone(create_model("efficientnet_lite0", {"a": 2}))
    assert len(groups) == 9 and all(groups)  # head conv, 7 stages, stem
    with pytest.raises(TypeError, match="cannot be fine-tuned in stages"):
        staged_backbone(create_model("simple_cnn_tiny", {"a": 2}))
    with pytest.raises(TypeError, match="cannot be fine-tuned in stages"):
        staged_backbone(torch.nn.Linear(3, 2))


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
