""" "Not a painting" on the WikiArt sample: the painting check on the frozen Lite0 features notebook 11b uses.

    python benchmarks/painting_check.py            # -> outputs/benchmarks/painting_check.json

The check (:mod:`artlib.trust.painting_check`) is fitted on the sample's training paintings against made-up
non-paintings of one seed, its thresholds set to accept 99 % of the validation paintings; every figure is on the
test paintings and on made-up images of another seed, for the check with its nearness rule (as notebook 11b fits
it) and for its linear rule alone. Harder questions: each kind of made-up image left out of the fit in turn (is a
kind it never saw refused?), test paintings as people bring them (greyscale, small, compressed, sideways, framed:
should be accepted), real photographs and scientific or scanned images (the sample images that
scikit-image, scikit-learn and matplotlib install, never seen in any fit: should be refused), and cnpaint's 2,700
Chinese paintings (real paintings of another tradition: should be accepted). Intervals: 95 % Wilson over images.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from records import SAMPLE, load_cnpaint, write_result

SIZE, DETAIL = 224, 112
#: scikit-image's sample images that are photographs of the world, and those that are not (microscopy, a retina,
#: a silhouette, scanned text)
PHOTOGRAPHS = ("astronaut", "camera", "chelsea", "coffee", "coins", "rocket", "grass", "gravel", "brick", "moon")
PHOTOGRAPHS += ("hubble_deep_field",)
SCIENTIFIC_OR_SCANNED = ("retina", "cell", "horse", "page", "text")


def _rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if image.dtype != np.uint8:
        image = (255 * (image / max(float(image.max()), 1e-9))).astype(np.uint8)
    return np.ascontiguousarray(image[..., :3])


def real_images() -> dict[str, dict[str, np.ndarray]]:
    """Real photographs (scikit-image's, scikit-learn's two, matplotlib's portrait) and scikit-image's scientific
    or scanned images, by name; scikit-image's only where it is installed (the ``dev`` extra)."""
    import matplotlib
    from sklearn.datasets import load_sample_images

    from artlib.data.images import load_rgb

    photographs = {f"sklearn_{i}": image for i, image in enumerate(load_sample_images().images)}
    sample_data = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    photographs["grace_hopper"] = load_rgb(sample_data)
    other: dict[str, np.ndarray] = {}
    try:
        import skimage.data
    except ImportError:
        print("scikit-image is not installed (pip install scikit-image): 3 photographs only")
    else:
        photographs |= {name: _rgb(getattr(skimage.data, name)()) for name in PHOTOGRAPHS}
        other = {name: _rgb(getattr(skimage.data, name)()) for name in SCIENTIFIC_OR_SCANNED}
    return {"photographs": photographs, "scientific or scanned images": other}


def reproductions(image: np.ndarray) -> dict[str, np.ndarray]:
    """One painting in the forms people bring (to accept): a greyscale reproduction, 64 px wide, a JPEG at
    quality 8, sideways, and in a wide brown frame."""
    import io

    from PIL import Image

    grey = np.asarray(Image.fromarray(image).convert("L"))
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=8)
    h, w = image.shape[:2]
    margin = max(h, w) // 4
    framed = np.full((h + 2 * margin, w + 2 * margin, 3), (120, 90, 40), np.uint8)
    framed[margin : margin + h, margin : margin + w] = image
    return {
        "greyscale": np.stack([grey] * 3, axis=-1),
        "64 px wide": np.asarray(Image.fromarray(image).resize((64, max(1, round(64 * h / w))))),
        "JPEG quality 8": np.asarray(Image.open(buffer).convert("RGB")),
        "sideways": np.ascontiguousarray(np.rot90(image)),
        "in a wide brown frame": framed,
    }


def quarters(images: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Each image's four quarters: other framings of the same scenes (not independent of their image)."""
    out = []
    for image in images.values():
        h, w = image.shape[:2]
        out += [image[y : y + h // 2, x : x + w // 2] for y in (0, h // 2) for x in (0, w // 2)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-kind", type=int, default=40, help="made-up images of each kind, per seed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reproductions", type=int, default=200, help="test paintings shown in each altered form")
    args = parser.parse_args()
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    import torch

    from artlib.config import settings
    from artlib.data.prepare import get_splits
    from artlib.identity.features import image_view_features, view_features
    from artlib.models import create_backbone
    from artlib.trust.painting_check import (
        NEAR_K,
        fit_painting_check,
        made_up_features,
        made_up_sets,
        near_bank,
        painting_check_report,
        refused_share,
    )

    torch.set_num_threads(args.threads)
    cfg = settings()
    started = time.time()
    network = create_backbone(cfg.feature_backbone, pretrained=True)
    splits = get_splits(cfg)
    tables = {name: splits[name] for name in ("train", "val", "test")}
    cnpaint = load_cnpaint()
    tables["cnpaint"] = cnpaint["train"].concat(cnpaint["test"])
    whole = {
        name: f[:, 0]
        for name, f in view_features(network, tables, ("whole",), SIZE, DETAIL, cache=cfg.feature_cache).items()
    }
    made_up = made_up_sets(
        lambda image: image_view_features(network, image, ("whole",), SIZE, DETAIL)[0, 0], args.per_kind
    )
    fit = made_up_features(made_up["fit"])
    checks = {
        "with its nearness rule": fit_painting_check(whole["train"], whole["val"], fit, near_k=NEAR_K),
        "linear rule alone": fit_painting_check(whole["train"], whole["val"], fit),
    }
    bank = near_bank(whole["train"])
    one = lambda image: image_view_features(network, image, ("whole",), SIZE, DETAIL)[0, 0]  # noqa: E731
    images = real_images()
    real = {name: np.stack([one(image) for image in group.values()]) for name, group in images.items() if group}
    real["photographs' quarters"] = np.stack([one(image) for image in quarters(images["photographs"])])
    from artlib.data.images import load_rgb

    sample = np.random.default_rng(0).choice(
        len(tables["test"]), size=min(args.reproductions, len(tables["test"])), replace=False
    )
    forms: dict[str, list[np.ndarray]] = {}
    paths = tables["test"].image_paths()
    for path in [paths[i] for i in np.sort(sample)]:
        for form, image in reproductions(load_rgb(path)).items():
            forms.setdefault(form, []).append(one(image))
    real |= {f"test paintings as reproductions: {form}": np.stack(f) for form, f in forms.items()}
    result = {
        "features": f"{cfg.feature_backbone} (frozen, pretrained), the whole painting at {SIZE} px",
        "near_k": NEAR_K,
        "painting_recall_on_validation": checks["with its nearness rule"].recall,
        "fitted_on": checks["with its nearness rule"].fitted_on,
    }
    for label, check in checks.items():
        report = painting_check_report(check, whole["test"], made_up["test"], bank)
        left_out = {}
        for kind, test_kind in made_up["test"].items():
            if not len(test_kind.features):
                continue  # tiny images are refused by size, before any check
            kept = made_up_features({k: m for k, m in made_up["fit"].items() if k != kind})
            without = fit_painting_check(whole["train"], whole["val"], kept, near_k=check.near_k)
            left_out[kind] = {
                "refused": {
                    k: round(v, 4) for k, v in refused_share(~without.is_painting(test_kind.features, bank)).items()
                },
                "test_paintings_refused": round(float((~without.is_painting(whole["test"], bank)).mean()), 4),
            }
        others = {"cnpaint (real Chinese paintings: to accept)": whole["cnpaint"]} | real
        scores = {"linear": check.scores}
        if check.has_near_rule:
            scores["near"] = lambda f, check=check: check.near_scores(f, bank)
        result[label] = {
            "thresholds": {"linear": check.threshold, "near": check.near_threshold},
            "validation_accepted": round(float(check.is_painting(whole["val"], bank).mean()), 4),
            "refused": report.round(4).to_dict("index"),
            "kind_left_out_of_the_fit": left_out,
            "real_images_refused": {
                name: {
                    "images": len(f),
                    **{k: round(v, 4) for k, v in refused_share(~check.is_painting(f, bank)).items()},
                }
                for name, f in others.items()
            },
            # how well each rule's score tells test paintings from each group, whatever the threshold
            "roc_auc_test_paintings_against": {
                name: {rule: auroc(score(whole["test"]), score(f)) for rule, score in scores.items()}
                for name, f in others.items()
            },
        }
    result["saved classifier (notebook 08) alone"] = saved_classifier(cfg, images)
    result["seconds"] = round(time.time() - started, 1)
    write_result("painting_check", result)


def saved_classifier(cfg: object, images: dict[str, dict[str, np.ndarray]]) -> dict:
    """What the classifier notebook 08 saved on the sample answers, alone (``Classifier.answer``, as
    ``artlib-predict model.pt`` and the app without an identity model), for the real photographs and scans: the share
    refused, by which verdict; absent when notebook 08 has not run on the sample."""
    from artlib.store.artifacts import ArtifactNotFoundError, load_classifier
    from artlib.trust.painting_check import refused_share

    try:
        classifier = load_classifier(cfg, "classifier", device="cpu")
    except ArtifactNotFoundError as exc:
        return {"not measured": str(exc)}
    reference = classifier.reference
    out: dict = {
        "check_reads": "its own fine-tuned features" if reference is None else f"{reference.to_dict()} (frozen)",
        "nearness_rule": bool(classifier.painting and classifier.painting.has_near_rule),
        "made_by": classifier.card.made_by,
    }
    task = next(iter(classifier.card.classes))
    for name, group in images.items():
        refusals = [classifier.answer(image)[task].refusal for image in group.values()]
        out[name] = {
            "images": len(refusals),
            **{k: round(v, 4) for k, v in refused_share(np.array([bool(r) for r in refusals])).items()},
            "verdicts": {v or "answered": refusals.count(v) for v in sorted(set(refusals))},
            "answered": sorted(n for n, r in zip(group, refusals, strict=True) if not r),
        }
    return out


def auroc(paintings: np.ndarray, others: np.ndarray) -> dict[str, float]:
    """ROC AUC of a score (higher: more a painting) for test paintings against ``others``, with its 95 % bootstrap
    interval."""
    from artlib.trust.evaluation import auroc_interval

    found = auroc_interval(np.r_[np.ones(len(paintings)), np.zeros(len(others))], np.r_[paintings, others])
    return {"roc_auc": round(found.estimate, 4), "low": round(found.low, 4), "high": round(found.high, 4)}


if __name__ == "__main__":
    main()
