"""Decoding full-resolution scans: full size vs libjpeg's reduced-scale decoding (``load_rgb(reduce_to=...)``).

    python benchmarks/decode_scale.py --sides 2000 4000 6000 --repeats 3

Real WikiArt and museum scans are JPEGs of several thousand pixels a side, but the models see
224-260 px. The scans are made here from real cnpaint paintings (../shared/data/cnpaint, or the
built-in fixture when it is absent) upscaled to a long side of ``--sides`` px and saved as
JPEG (quality 90), because no full-resolution scans ship with the shared data. Each is then
decoded by ``load_rgb`` at full size and with ``reduce_to`` = 448 (what ``make_loaders`` asks for
at 224 px) and the time per image and the decoded size are recorded, with the mean absolute
difference (0-255) between the two once both are resized to 224 px on the shorter side.
Results: outputs/benchmarks/decode_scale.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from artlib.data.images import load_rgb

from records import ROOT, write_result


def sources(data_root: Path, n: int) -> list[Path]:
    """``n`` real paintings, or fixture images when the shared data is absent."""
    found = sorted((data_root / "cnpaint" / "test").rglob("*.jpg"))[::37][:n]
    if found:
        return found
    from artlib.fixtures import make_fixture

    return sorted(Path(make_fixture(ROOT / "data" / "fixture").imagefolder).rglob("*.jpg"))[:n]


def resized_pair(full: np.ndarray, reduced: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Both decodes resized to the same size, ``side`` px on the full decode's shorter side."""
    h, w = full.shape[:2]
    size = (round(w * side / min(h, w)), round(h * side / min(h, w)))
    return tuple(np.asarray(Image.fromarray(x).resize(size, Image.BICUBIC), dtype=float) for x in (full, reduced))


def timed(path: Path, repeats: int, reduce_to: int | None) -> tuple[float, np.ndarray]:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        image = load_rgb(path, reduce_to=reduce_to)
        best = min(best, time.perf_counter() - start)
    return best, image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sides", type=int, nargs="+", default=[2000, 4000, 6000])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="the fastest of this many decodes counts")
    parser.add_argument("--reduce-to", type=int, default=448)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for side in args.sides:
            full_s, reduced_s, diffs, shapes = [], [], [], []
            for i, src in enumerate(sources(args.data_root, args.images)):
                img = Image.fromarray(load_rgb(src))
                scale = side / max(img.size)
                scan = Path(tmp) / f"scan_{side}_{i}.jpg"
                img.resize((round(img.width * scale), round(img.height * scale)), Image.BICUBIC).save(scan, quality=90)
                t_full, full = timed(scan, args.repeats, None)
                t_reduced, reduced = timed(scan, args.repeats, args.reduce_to)
                full_s.append(t_full)
                reduced_s.append(t_reduced)
                shapes.append((full.shape[:2], reduced.shape[:2]))
                a, b = resized_pair(full, reduced, 224)
                diffs.append(float(np.abs(a - b).mean()))
            rows.append(
                {
                    "long_side": side,
                    "images": len(full_s),
                    "full_ms": round(1000 * float(np.mean(full_s)), 1),
                    "reduced_ms": round(1000 * float(np.mean(reduced_s)), 1),
                    "speed_up": round(float(np.mean(full_s) / np.mean(reduced_s)), 1),
                    "decoded_full_hw": list(shapes[0][0]),
                    "decoded_reduced_hw": list(shapes[0][1]),
                    "mean_abs_diff_at_224": round(float(np.mean(diffs)), 2),
                }
            )
            print(rows[-1])
    write_result(
        "decode_scale",
        {
            "reduce_to": args.reduce_to,
            "rows": rows,
            "repeats": args.repeats,
        },
    )


if __name__ == "__main__":
    main()
