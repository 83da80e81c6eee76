""" "Not a painting" on the WikiArt sample: the painting check on the frozen Lite0 features notebook 11b uses.

    python benchmarks/painting_check.py            # -> outputs/benchmarks/painting_check.json

The check (:mod:`artlib.trust.painting_check`) is fitted on the sample's training paintings against made-up
non-paintings of one seed, its threshold set to accept 99 % of the validation paintings; every figure is on the
test paintings and on made-up images of another seed. Two harder questions: each kind of made-up image left out of
the fit in turn (is a kind it never saw refused?), and cnpaint's 2,700 Chinese paintings (real paintings of another
tradition: they should be accepted). Intervals: 95 % bootstrap over images.
"""

from __future__ import annotations

import argparse
import os
import time

from records import SAMPLE, load_cnpaint, write_result

SIZE, DETAIL = 224, 112


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-kind", type=int, default=40, help="made-up images of each kind, per seed")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    import torch

    from artlib.config import settings
    from artlib.data.prepare import get_splits
    from artlib.identity.features import image_view_features, view_features
    from artlib.models import create_backbone
    from artlib.trust.painting_check import (
        fit_painting_check,
        made_up_features,
        made_up_sets,
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
    check = fit_painting_check(whole["train"], whole["val"], made_up_features(made_up["fit"]))
    report = painting_check_report(check, whole["test"], made_up["test"])
    left_out = {}
    for kind, test_kind in made_up["test"].items():
        if not len(test_kind.features):
            continue  # tiny images are refused by size, before any check
        kept = made_up_features({k: m for k, m in made_up["fit"].items() if k != kind})
        without = fit_painting_check(whole["train"], whole["val"], kept)
        left_out[kind] = {
            "refused": {k: round(v, 4) for k, v in refused_share(~without.is_painting(test_kind.features)).items()},
            "test_paintings_refused": round(float((~without.is_painting(whole["test"])).mean()), 4),
        }
    refused = refused_share(~check.is_painting(whole["cnpaint"]))
    result = {
        "features": f"{cfg.feature_backbone} (frozen, pretrained), the whole painting at {SIZE} px",
        "fitted_on": check.fitted_on,
        "painting_recall_on_validation": check.recall,
        "refused": report.round(4).to_dict("index"),
        "kind_left_out_of_the_fit": left_out,
        "cnpaint_refused": {
            "paintings": len(whole["cnpaint"]),
            **{key: round(value, 4) for key, value in refused.items()},
        },
        "seconds": round(time.time() - started, 1),
    }
    write_result("painting_check", result)


if __name__ == "__main__":
    main()
