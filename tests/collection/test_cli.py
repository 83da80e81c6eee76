"""artlib-embed's arguments: what they name is checked before Ray starts, with one line each."""

import pytest
from PIL import Image

from artlib.collection.cli import main
from artlib.collection.listing import list_collection


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["{tmp}/nowhere", "--out", "{tmp}/out"], "no such folder"),
        (["{tmp}/file.jpg", "--out", "{tmp}/out"], "a file, not a folder"),
        (["{tmp}", "--out", "{tmp}/file.jpg"], "is a file, not a folder"),
        (["{tmp}", "--out", "{tmp}/out", "--model", "nosuchnet"], "unknown model 'nosuchnet'"),
        (["{tmp}", "--out", "{tmp}/out", "--workers", "0"], "at least 1"),
        (["{tmp}", "--out", "{tmp}/out", "--image-size", "8"], "at least 32"),
    ],
)
def test_a_bad_argument_ends_with_one_line_before_ray_starts(tmp_path, capsys, argv, said):
    (tmp_path / "file.jpg").write_bytes(b"")
    with pytest.raises(SystemExit) as exit_:
        main([a.format(tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and said in err and "Traceback" not in err


def test_a_folder_without_images_says_so(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path), "--out", str(tmp_path / "out"), "--untrained"])
    assert exit_.value.code == 2 and "no images" in capsys.readouterr().err


def test_another_collection_into_the_same_output_is_refused_before_ray_starts(tmp_path, capsys):
    """It used to reuse the first collection's listing and report the second one complete, unembedded."""
    for name in ("A", "B"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / name / "1.jpg")
    (tmp_path / "out" / "shards").mkdir(parents=True)
    list_collection(tmp_path / "A", tmp_path / "out" / "shards")
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "B"), "--out", str(tmp_path / "out"), "--untrained"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "not folder" in err and "another --out" in err
