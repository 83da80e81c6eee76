import numpy as np
from toy_problems import untrained_classifier

from artlib.inference import ModelCard


def test_the_fine_tuned_contender_is_the_classifier_as_a_person_gets_it(folder, tmp_path, monkeypatch):
    """Notebook 11 scores notebook 08's classifier with everything its file holds: a nearness rule that refuses
    every test painting counts each as wrong (read without the file's banks, only the linear rule ran, and every
    painting was answered)."""
    from artlib.config import settings
    from artlib.store import artifacts
    from artlib.studies.feature_comparison import fine_tuned
    from artlib.trust.painting_check import PaintingCheck, near_bank

    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    cfg = settings(outputs=tmp_path)
    model = untrained_classifier(folder)
    width = model.feature_dim
    task = folder.tasks[0]
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32)
    # the linear rule takes everything for a painting; the nearness rule wants a look-alike at cosine 0.99 of a
    # bank no painting is near
    check = PaintingCheck([0.0] * width, 0.0, -1.0, near_k=1, near_threshold=0.99)
    card.painting = check.to_dict()
    far = -np.ones((3, width), dtype=np.float32)  # ReLU features are >= 0: their cosine to this is <= 0
    artifacts.save_model(cfg, "classifier", model, card, painting_bank=near_bank(far))
    test = folder.subset(np.arange(6))
    truth, predicted = fine_tuned(cfg, test, task)
    assert len(truth) == 6 and (predicted == -1).all()
