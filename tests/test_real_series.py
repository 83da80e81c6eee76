"""The notebooks on real WikiArt (a few hundred images of ../shared's sample): they must use the given data."""

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from artlib.config import portable_path
from artlib.data.wikiart import file_name_fields

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("00", "09", "12", "14")


@pytest.fixture(scope="module")
def wikiart_subset(shared, tmp_path_factory) -> Path:
    """300 real paintings in the ArtGAN layout: 25 by each of the 12 artists with the most works."""
    sample = shared / "data" / "wikiart_sample"
    if not sample.is_dir():
        pytest.skip("../shared/data/wikiart_sample is not present")
    by_artist = defaultdict(list)
    for path in sorted(sample.rglob("*.jpg")):
        by_artist[file_name_fields(path.name)[0]].append(path)
    artists = sorted(by_artist, key=lambda a: (-len(by_artist[a]), a))[:12]
    root = tmp_path_factory.mktemp("wikiart_subset")
    for artist in artists:
        for path in by_artist[artist][:25]:
            target = root / path.parent.name / path.name
            target.parent.mkdir(exist_ok=True)
            target.symlink_to(path)
    return root


def test_notebooks_use_the_given_real_data(wikiart_subset, shared, tmp_path):
    outputs = tmp_path / "outputs"
    env = {
        **os.environ,
        "ARTLIB_DATASET": "wikiart",
        "ARTLIB_DATA": str(wikiart_subset),
        "ARTLIB_META": str(shared / "metadata" / "wikiart_artgan"),
        "ARTLIB_OUTPUTS": str(outputs),
        "ARTLIB_PROFILE": "ci",
        # the data path is under test, not the training: short schedules and one Siamese of each kind
        # (1.5 min instead of 2.7 on 2026-12-02's 2 cores)
        "ARTLIB_EPOCHS": "2",
        "ARTLIB_HEAD_EPOCHS": "3",
        "ARTLIB_SIAMESE_MODELS": "simple_cnn_small:all:scratch,efficientnet_lite0:all:frozen",
        "HF_HUB_OFFLINE": "1",
    }
    run = subprocess.run(
        [sys.executable, "-m", "artlib.runner", "--only", *NOTEBOOKS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = pd.read_csv(outputs / "notebooks" / "summary.csv").set_index("notebook")
    assert list(summary.index.str[:2]) == list(NOTEBOOKS)
    assert (summary["status"] == "ok").all(), summary
    for name in summary.index[1:]:  # 00 prepares the splits; the others record what they ran on
        used = str(summary.loc[name, "data used"])
        assert portable_path(wikiart_subset) in used and "fixture" not in used, (name, used)
    results = {p.stem: json.loads(p.read_text()) for p in (outputs / "results").glob("*.json")}
    assert {"09_mobilenetv3_multitask", "12_same_artist", "14_retrieval"} <= set(results)
    for result in results.values():
        assert result["data"] == f"wikiart: {portable_path(wikiart_subset)}", result["data"]
    tasks = {row["task"] for row in results["09_mobilenetv3_multitask"]["rows"]}
    assert tasks == {"artist", "genre", "style"}  # the tasks the data has, not WGA's
    assert (
        "artist_slug" in results["12_same_artist"]["artists"] and "12 artists" in results["12_same_artist"]["artists"]
    )
    assert "titled images" in results["14_retrieval"]["titles"]
    style_classes = json.loads((outputs / "splits" / "train.json").read_text())["classes"]["style"]
    assert len(style_classes) == len({p.parent.name for p in wikiart_subset.rglob("*.jpg")})  # no empty classes
    assert (outputs / "results" / "summary.md").is_file()
