"""Who painted these files: the identity model's answer as ``artlib-predict`` rows (the ``artist`` task).

rows = predict_files(load_identity("outputs/"), ["paintings/"])   # path, task, predicted, confidence, ...
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.table import ArtTable
from ..inference.classifier import not_a_painting_row, someone_else_row
from ..inference.files import PREDICTION_COLUMNS, find_images
from .features import view_features
from .model import IdentityAnswer, IdentityModel


def answer_row(answer: IdentityAnswer) -> dict:
    """The prediction columns of one identity answer ("someone else": no probability, look-alikes named)."""
    if not answer.painting:
        return {**not_a_painting_row(), "predicted": answer.artist, "verdict": answer.artist}
    if not answer.known:
        return someone_else_row(answer.look_alikes, answer.prediction_set)
    return {
        "predicted": answer.artist,
        "confidence": round(float(answer.probability or 0.0), 4),
        "top_k": answer.artist,
        "prediction_set": " | ".join(answer.prediction_set),
        "verdict": "known",
        "error": None,
    }


def predict_files(
    model: IdentityModel, images: Iterable[str | Path], batch_size: int = 32, num_workers: int = 0
) -> pd.DataFrame:
    """One ``artist`` row per readable image (its answer from :meth:`IdentityModel.answer`); an unreadable one gets
    a row with ``error`` set."""
    from ..data.images import ImageLoadError, check_answerable, load_rgb

    paths, problems = find_images(images)
    readable = []
    for path in paths:  # checked one by one: a damaged or tiny file gets its own row, not a failed batch
        try:
            check_answerable(load_rgb(path), str(path))
        except (ImageLoadError, OSError) as exc:
            problems.append((path, str(exc)))
        else:
            readable.append(path)
    rows = []
    if readable:
        table = ArtTable(pd.DataFrame({"path": [str(p) for p in readable]}), {})
        card = model.card
        feats = view_features(
            card.backbone,
            {"files": table},
            card.views,
            card.image_size,
            card.detail,
            batch_size=batch_size,
            num_workers=num_workers,
        )["files"]
        for path, answer in zip(readable, model.answer(feats), strict=True):
            rows.append({"path": str(path), "task": "artist", **answer_row(answer)})
    rows += [{"path": str(p), "task": "artist", "confidence": np.nan, "error": why} for p, why in problems]
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)
