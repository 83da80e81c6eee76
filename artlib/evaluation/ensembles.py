"""Ensembles of finished runs: each run's test probabilities kept in one file, and the mean of several scored.

    store = ProbabilityStore("outputs/benchmarks/wikiart_finetune_test_probs.npz")
    store.save("lite0_12ep", paths, labels={"style": y}, probs={"+ mirror": {"style": p}})
    ensemble_scores(store, ["lite0_12ep", "lite1_8ep"], "+ mirror")     # task_scores of the mean probabilities

Keys of the ``.npz``: ``<run>/path``, ``<run>/<task>/label``, ``<run>/<task>/classes`` (optional) and
``<run>/<task>/<kind>`` (``kind``: how the run was scored: "one view", "+ mirror", "views"...). A run saved again
replaces its arrays and keeps the other runs'. Runs that scored other images, or the same in another order, are
never averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .results import task_scores


class EnsembleError(ValueError):
    """Runs that cannot be averaged: not stored, other test images, or a kind of scoring one of them lacks."""


@dataclass(frozen=True)
class StoredRun:
    """One run's test probabilities of one kind, per task, with the labels and the images' paths."""

    paths: list[str]
    labels: dict[str, np.ndarray]
    probs: dict[str, np.ndarray]
    kind: str


class ProbabilityStore:
    """Runs' test probabilities in one ``.npz`` file (keys in the module's docstring); the file is read once
    per version, so an ensemble of many runs does not reread it per run."""

    def __init__(self, path: str | Path, dtype: type = np.float16) -> None:
        self.path = Path(path)
        self.dtype = dtype  # float16 halves the file; probabilities need no more
        self._read: tuple[tuple[int, int], dict[str, np.ndarray]] | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        """Every stored array by key (empty when the file is missing)."""
        if not self.path.is_file():
            return {}
        stat = self.path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        if self._read is None or self._read[0] != version:
            with np.load(self.path) as npz:
                self._read = version, {key: npz[key] for key in npz.files}
        return self._read[1]

    def runs(self) -> list[str]:
        """The runs with stored probabilities."""
        return sorted({key.split("/", 1)[0] for key in self.arrays()})

    def save(
        self,
        run: str,
        paths: Sequence[str],
        labels: Mapping[str, np.ndarray],
        probs: Mapping[str, Mapping[str, np.ndarray]],
        classes: Mapping[str, Sequence[str]] | None = None,
    ) -> Path:
        """Keep ``run``'s test probabilities (``probs[kind][task]``, rows in the order of ``paths``) in place of
        what it stored before."""
        arrays: dict[str, np.ndarray] = {"path": np.asarray([str(p) for p in paths])}
        for kind, by_task in probs.items():
            for task, values in by_task.items():
                if len(values) != len(paths) or len(labels[task]) != len(paths):
                    raise ValueError(
                        f"{run} {kind} {task}: {len(values)} rows of probabilities for {len(paths)} images"
                    )
                arrays[f"{task}/label"] = np.asarray(labels[task])
                arrays[f"{task}/{kind}"] = np.asarray(values).astype(self.dtype)
        for task, names in (classes or {}).items():
            arrays[f"{task}/classes"] = np.asarray(names)
        stored: dict[str, Any] = {k: v for k, v in self.arrays().items() if not k.startswith(f"{run}/")}
        stored.update({f"{run}/{name}": value for name, value in arrays.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(self.path, **stored)
        return self.path

    def kinds(self, run: str) -> list[str]:
        """How ``run`` was scored (the kinds of probabilities it stored)."""
        prefix = f"{run}/"
        return sorted(
            {k.rsplit("/", 1)[1] for k in self.arrays() if k.startswith(prefix) and k.count("/") == 2}
            - {"label", "classes"}
        )

    def load(
        self, run: str, kind: str, paths: Sequence[str] | None = None, fallback: str | None = None
    ) -> StoredRun | None:
        """``run``'s ``kind`` probabilities (``fallback``'s when it has none of ``kind``), or ``None`` when the run
        stored nothing. ``paths``: the test images in the order expected; another set or order is refused."""
        stored = self.arrays()
        if f"{run}/path" not in stored:
            return None
        saved_paths = [str(p) for p in stored[f"{run}/path"]]
        if paths is not None and saved_paths != [str(p) for p in paths]:
            raise EnsembleError(f"{self.path} holds other test images, or another order, for {run}")
        kinds = self.kinds(run)
        if kind not in kinds and fallback in kinds:
            kind = fallback
        tasks = sorted({k.split("/")[1] for k in stored if k.startswith(f"{run}/") and k.endswith("/label")})
        missing = [task for task in tasks if f"{run}/{task}/{kind}" not in stored]
        if missing:
            raise EnsembleError(f"{run} stored no {kind!r} probabilities for {missing} (it has {kinds})")
        return StoredRun(
            saved_paths,
            {task: stored[f"{run}/{task}/label"] for task in tasks},
            {task: stored[f"{run}/{task}/{kind}"].astype(np.float32) for task in tasks},
            kind,
        )


def mean_probabilities(
    store: ProbabilityStore, runs: Sequence[str], kind: str, fallback: str | None = None
) -> StoredRun:
    """The mean of ``runs``' stored ``kind`` probabilities (``fallback``'s for a run without ``kind``), per task
    (the runs must have scored the same images in the same order, with the same labels)."""
    loaded = {run: store.load(run, kind, fallback=fallback) for run in runs}
    missing = [run for run, got in loaded.items() if got is None]
    if missing or len(runs) < 2:
        raise EnsembleError(f"an ensemble needs two or more runs with stored probabilities; not stored: {missing}")
    first, *others = [got for got in loaded.values() if got is not None]
    for other in others:
        if other.paths != first.paths or any(
            not np.array_equal(other.labels[t], first.labels[t]) for t in first.labels
        ):
            raise EnsembleError("the runs scored different test images: they cannot be ensembled")
    probs = {task: np.mean([run.probs[task] for run in (first, *others)], axis=0) for task in first.probs}
    return StoredRun(first.paths, first.labels, probs, kind)


def ensemble_scores(
    store: ProbabilityStore, runs: Sequence[str], kind: str, fallback: str | None = None
) -> pd.DataFrame:
    """:func:`~artlib.evaluation.results.task_scores` (each score with its 95 % interval) of the mean of ``runs``."""
    mean = mean_probabilities(store, runs, kind, fallback)
    return task_scores(mean.labels, mean.probs)
