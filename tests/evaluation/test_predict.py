import ast
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from artlib.evaluation.predict import predict, predict_batch
from artlib.models import create_model

ROOT = Path(__file__).resolve().parents[2]


def _model():
    torch.manual_seed(0)
    return create_model("simple_cnn_tiny", {"style": 3, "genre": 2}).eval()


def test_views_and_mirror_images_are_averaged_per_image():
    model = _model()
    x = torch.randn(6, 3, 32, 32)  # two images of three views each
    batch = predict_batch(model, x, views=3, flip=True, embed=True)
    with torch.no_grad():
        plain = torch.softmax(model(x)["style"], 1)
        mirror = torch.softmax(model(torch.flip(x, dims=[-1]))["style"], 1)
        expected = ((plain + mirror) / 2).view(2, 3, -1).mean(1)
        features = model.forward_features(x).view(2, 3, -1).mean(1)
    assert torch.allclose(batch.probs["style"], expected, atol=1e-6)
    assert torch.allclose(batch.features, features, atol=1e-6)
    assert torch.allclose(batch.logits["genre"].exp().sum(1), torch.ones(2), atol=1e-5)


def test_a_loader_and_one_image_get_the_same_answer_from_the_one_predict():
    """The Trainer, a saved Classifier on files and a Classifier on one decoded image all call predict_batch."""
    model = _model()
    images = torch.randn(5, 3, 32, 32)
    labels = {"style": torch.tensor([0, 1, 2, 0, 1]), "genre": torch.tensor([0, 1, 0, 1, -1])}
    dataset = TensorDataset(images, labels["style"], labels["genre"])
    loader = DataLoader(
        dataset,
        batch_size=2,
        collate_fn=lambda rows: (
            torch.stack([r[0] for r in rows]),
            {"style": torch.stack([r[1] for r in rows]), "genre": torch.stack([r[2] for r in rows])},
        ),
    )
    preds = predict(model, loader, flip=True, embed=True)
    one = predict_batch(model, images[3:4], flip=True, embed=True)
    assert preds.probs["style"].shape == (5, 3) and preds.embeddings.shape == (5, model.feature_dim)
    assert np.allclose(preds.probs["style"][3], one.probs["style"][0].numpy(), atol=1e-6)
    assert preds.labels["genre"].tolist() == [0, 1, 0, 1, -1]

    from artlib.train import TrainConfig, Trainer

    trainer = Trainer(model, TrainConfig(device="cpu", progress=False))
    assert np.allclose(trainer.predict(loader, flip_tta=True).probs["genre"], preds.probs["genre"], atol=1e-6)


def test_the_trainer_is_small_and_the_classifier_predicts_without_it():
    trainer = ROOT / "artlib" / "train" / "trainer.py"
    assert len(trainer.read_text().splitlines()) <= 300
    tree = ast.parse((ROOT / "artlib" / "inference" / "classifier.py").read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(module.endswith("train") or ".train." in module for module in imported), imported
