"""``artlib-predict``: classify image files and folders with a saved classifier, from the shell.

    artlib-predict classifier paintings/ --out predictions.csv        # notebook 08's artefact in ARTLIB_OUTPUTS
    artlib-predict genre.pt query.jpg                                  # a model file
    artlib-predict classifier paintings/ --out predictions.parquet    # --out: .csv, .tsv, .parquet or .json

One row per image and task: the calibrated top class and top-k, the 90 % prediction set, and for an open task
(artists) the verdict ``unknown`` when the painting is by none of the artists the model knows: ``predicted`` is
then "someone else", without a probability, and ``top_k`` names the artists it looks most like. An image the
classifier's painting check refuses (a frozen network's view of it: "not a painting", or "unlike the collection")
gets that verdict and no class. With an identity
model (notebook 11b; ``--identity``, or the ``identity`` artefact beside the classifier) the artist rows are its
answers, calibrated with painters it never saw, and an image it refuses ("not a painting", or "unlike the
collection": far from every training painting, as a photograph is) gets that verdict for every task, as in the app.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..identity.model import IdentityModel

#: what ``--out`` writes, by its suffix
TABLE_FORMATS = {
    ".csv": lambda table, path: table.to_csv(path, index=False),
    ".tsv": lambda table, path: table.to_csv(path, index=False, sep="\t"),
    ".parquet": lambda table, path: table.to_parquet(path, index=False),
    ".json": lambda table, path: table.to_json(path, orient="records", indent=1, force_ascii=False),
}


def out_problem(path: Path) -> str | None:
    """Why ``path`` cannot take the table (a suffix of no format, Parquet without pyarrow), else None."""
    import importlib.util

    if path.suffix.lower() not in TABLE_FORMATS:
        return f"name a {', '.join(TABLE_FORMATS)} file"
    if path.suffix.lower() == ".parquet" and importlib.util.find_spec("pyarrow") is None:
        return "Parquet needs pyarrow: pip install pyarrow (or 'artlib[scale]'), or write a .csv"
    return None


def write_table(table: pd.DataFrame, path: Path) -> None:
    """``table`` written to ``path`` in the format its suffix names (:data:`TABLE_FORMATS`), folders created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    TABLE_FORMATS[path.suffix.lower()](table, path)


def predict(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Classify paintings with a saved classifier (artlib.store.artifacts).")
    parser.add_argument(
        "model",
        help="a model file (.pt, artlib.store.artifacts.save_model_file), or the name of a saved artefact "
        "(e.g. 'classifier', made by notebook 08) in ARTLIB_OUTPUTS (default outputs/)",
    )
    parser.add_argument("images", nargs="+", help="image files or folders (searched recursively)")
    parser.add_argument(
        "--out", type=Path, default=None, help="the table to write: .csv, .tsv, .parquet or .json (default: print)"
    )
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--identity",
        default=None,
        help="who painted it from an identity model (notebook 11b): a .pt file or an artefact name in "
        "ARTLIB_OUTPUTS; its answer (a known artist, or 'someone else') replaces the classifier's artist rows. "
        "Default: the 'identity' artefact of the outputs folder (for a model file: identity.pt beside it), when "
        "it exists and was made from the same data as the classifier",
    )
    args = parser.parse_args(argv)
    if args.out is not None:  # before an hour of predicting
        problem = out_problem(args.out)
        if problem:
            parser.error(f"--out {args.out}: {problem}")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from ..models.weights import WeightsUnavailableError
    from ..train.checkpoint import CheckpointError

    try:
        _run(args)
    except (FileNotFoundError, ValueError, CheckpointError, WeightsUnavailableError) as exc:
        # a missing image or artefact, a damaged file, a reference network's weights not installed
        logging.getLogger(__name__).debug("artlib-predict failed", exc_info=True)
        parser.exit(2, f"artlib-predict: {exc}\n")


def _run(args: argparse.Namespace) -> None:
    """Predict as ``args`` say (:func:`predict`'s arguments) and print or write the table."""
    from ..config import default_outputs
    from ..store.artifacts import load_classifier

    file = _model_file(args.model)
    classifier = (
        load_classifier(file, device=args.device)
        if file
        else load_classifier(default_outputs(), args.model, args.device)
    )
    table = classifier.predict(args.images, args.top_k, args.batch_size, args.workers)
    identity = _identity(
        args.identity, file.parent / "identity.pt" if file else default_outputs(), classifier.card.data
    )
    if identity is not None:
        from ..identity.predict import predict_files

        who = predict_files(identity, args.images, args.batch_size, args.workers)
        table = with_identity(table, who)
    if args.out:
        write_table(table, args.out)
        print(f"{len(table)} rows -> {args.out}")
    else:
        print(table.to_string(index=False))


def with_identity(table: pd.DataFrame, who: pd.DataFrame) -> pd.DataFrame:
    """The classifier's rows with the identity model's artist rows instead of its own; an image either model
    refuses ("not a painting", or "unlike the collection") gets that verdict and no class for every task, as the
    app says it; "not a painting" wins where the two differ."""
    from ..inference.classifier import not_a_painting_row
    from ..trust.painting_check import REFUSALS

    out = pd.concat([table[table["task"] != "artist"], who], ignore_index=True)
    for refusal in REFUSALS:  # the stronger verdict first: "not a painting" stays where either model says it
        refused = set(out.loc[out["verdict"] == refusal, "path"])
        rows = out["path"].isin(refused) & out["error"].isna() & ~out["verdict"].isin(REFUSALS)
        for column, value in {**not_a_painting_row(), "predicted": refusal, "verdict": refusal}.items():
            out.loc[rows, column] = value
    return out.sort_values(["path", "task"], kind="stable", ignore_index=True)


def _model_file(model: str) -> Path | None:
    """``model`` as a model file's path, or None when it names an artefact in ARTLIB_OUTPUTS."""
    path = Path(model)
    return path if path.suffix == ".pt" or path.is_file() else None


def _identity(given: str | None, default: Path, data: dict) -> IdentityModel | None:
    """The identity model named by ``--identity``; else ``default`` (an outputs folder's ``identity`` artefact,
    or an ``identity.pt`` file beside a model file) where it exists and was made from the classifier's ``data``
    (one made from other data is left out, with a warning: its artists would not be this classifier's; none is
    looked for when the classifier has no data record)."""
    from ..store.artifacts import ArtifactNotFoundError, load_identity
    from ..train.checkpoint import CheckpointError

    if given is not None:
        from ..config import default_outputs

        file = _model_file(given)
        return load_identity(file) if file else load_identity(default_outputs(), given)
    if not data or (default.suffix == ".pt" and not default.is_file()):
        return None  # a classifier that does not say what it was made from is never paired by guess
    try:
        return load_identity(default, "identity", data=data)
    except ArtifactNotFoundError as exc:
        if exc.made_from:
            logging.getLogger(__name__).warning(
                "the identity model in %s was made from %s, not from the classifier's data: the classifier's own "
                "artist rows are kept (give --identity to use it anyway)",
                default,
                exc.made_from,
            )
        return None
    except (ValueError, CheckpointError) as exc:  # a damaged file nobody asked for by name: said, and left out
        logging.getLogger(__name__).warning(
            "the identity model in %s cannot be used (%s): the classifier's own artist rows are kept", default, exc
        )
        return None


if __name__ == "__main__":
    predict()
