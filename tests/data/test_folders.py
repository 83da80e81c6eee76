import pandas as pd
import pytest

from artlib.data import load_csv_table, load_image_folder, load_split_folders


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_image_folder(fixture_paths, tmp_path):
    table = load_image_folder(fixture_paths.imagefolder)
    assert table.classes["label"] == sorted(["landscape", "portrait", "still_life", "religious_painting"])
    assert len(table) == fixture_paths.n_works
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match="no images"):
        load_image_folder(tmp_path)


def test_split_folders_real(shared):
    splits = load_split_folders(shared / "data" / "cnpaint")
    assert len(splits["train"]) == 2400 and len(splits["test"]) == 300
    assert splits["train"].classes == splits["test"].classes
    assert splits["train"].image_paths()[0].is_file()


def test_csv_table_real(shared):
    table = load_csv_table(shared / "data" / "artbench10_32" / "labels.csv", ["style"])
    assert len(table) == 1500 and table.num_classes["style"] == 10
    assert table.image_paths()[0].is_file()


def test_csv_table_bad_column(tmp_path):
    pd.DataFrame({"file": ["a.jpg"], "y": ["x"]}).to_csv(tmp_path / "l.csv", index=False)
    with pytest.raises(KeyError, match="columns"):
        load_csv_table(tmp_path / "l.csv", ["style"])


def test_csv_table_image_with_two_labels_is_dropped_and_repeats_kept_once(tmp_path, caplog):
    csv_path = _write(tmp_path / "l.csv", "path,style\na.jpg,x\nb.jpg,y\nb.jpg,z\nc.jpg,x\nc.jpg,x\n")
    with caplog.at_level("WARNING"):
        table = load_csv_table(csv_path, ["style"])
    assert table.frame["path"].tolist() == ["a.jpg", "c.jpg"]
    assert "different labels" in caplog.text and "[3, 4]" in caplog.text


def test_csv_table_rows_with_extra_or_missing_fields_are_named(tmp_path, caplog):
    from artlib.data import MalformedRowsError

    body = "".join(f"{i}.jpg,x,1900\n" for i in range(250))
    csv_path = _write(tmp_path / "l.csv", "path,style,date\n" + body + "bad.jpg,x,1900,extra\nshort.jpg,x\n")
    with caplog.at_level("WARNING"):
        table = load_csv_table(csv_path, ["style"], keep_columns=["date"])
    assert len(table) == 250 and "short.jpg" not in set(table.frame["path"])
    assert "line 252: 4 fields, the header has 3" in caplog.text and "line 253: 2 fields" in caplog.text
    with pytest.raises(MalformedRowsError, match="line 252"):
        load_csv_table(csv_path, ["style"], on_bad_rows="raise")
    caplog.clear()
    few = _write(tmp_path / "few.csv", "path,style\na.jpg,x\nb.jpg\n")
    with caplog.at_level("WARNING"):
        assert load_csv_table(few, ["style"]).frame["path"].tolist() == ["a.jpg"]  # b.jpg is not labelled -1
    assert "line 3: 1 fields" in caplog.text


def test_csv_table_latin1_file_is_read_with_a_warning(tmp_path, caplog):
    csv_path = _write(tmp_path / "l.csv", "path,artist\na.jpg,Gérôme\nb.jpg,Ingres\n", encoding="cp1252")
    with caplog.at_level("WARNING"):
        table = load_csv_table(csv_path, ["artist"])
    assert table.classes["artist"] == ["Gérôme", "Ingres"]
    assert "not UTF-8" in caplog.text and "line 2" in caplog.text


def test_csv_table_without_rows_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no data rows"):
        load_csv_table(_write(tmp_path / "h.csv", "path,style\n"), ["style"])
    with pytest.raises(ValueError, match="is empty"):
        load_csv_table(_write(tmp_path / "e.csv", ""), ["style"])


def test_csv_table_empty_label_is_missing_and_quoted_commas_work(tmp_path):
    csv_path = _write(tmp_path / "l.csv", 'path,style,title\na.jpg,,"Still life, with fruit"\nb.jpg,y,Sea\n')
    table = load_csv_table(csv_path, ["style"], keep_columns=["title"])
    assert table.frame["style"].tolist() == [-1, 0]
    assert table.frame["title"].iloc[0] == "Still life, with fruit"


def test_split_folders_ignore_hidden_folders(tmp_path):
    from PIL import Image

    for split in ("train", "test", ".ipynb_checkpoints"):
        (tmp_path / split / "a").mkdir(parents=True)
        Image.new("RGB", (4, 4)).save(tmp_path / split / "a" / "x.png")
    (tmp_path / "train" / ".ipynb_checkpoints").mkdir()
    assert set(load_split_folders(tmp_path)) == {"train", "test"}
    assert load_split_folders(tmp_path)["train"].classes == {"label": ["a"]}


def test_csv_paths_are_spelt_one_way_and_stay_inside_the_image_folder(tmp_path, caplog):
    rows = ["path,style", "0.jpg,a", "./0.jpg,b", "sub\\1.jpg,a", "../outside.jpg,a", "../../etc/passwd,b", "2.jpg,b"]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    table = load_csv_table(tmp_path / "t.csv", ["style"], on_bad_rows="warn")
    assert table.frame["path"].tolist() == ["sub/1.jpg", "2.jpg"]  # 0.jpg == ./0.jpg with two labels: both dropped
    assert "leaves the image folder" in caplog.text and "different labels" in caplog.text
    (tmp_path / "d.csv").write_text("path,style,style\n0.jpg,a,b\n")
    with pytest.raises(ValueError, match=r"names \['style'\] more than once"):
        load_csv_table(tmp_path / "d.csv", ["style"])


def test_image_folder_skips_hidden_files_and_says_what_it_skips(tmp_path, caplog):
    from PIL import Image

    for name in (
        "a/x.png",
        "a/.ipynb_checkpoints/x-checkpoint.png",
        "a/.hidden.png",
        "b/y.webp",
        "b/z.avif",
        "loose.png",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4)).save(tmp_path / name)
    (tmp_path / "b" / "notes.txt").write_text("not a painting")
    (tmp_path / "b" / "scan.heic").write_bytes(b"\0")
    with caplog.at_level("WARNING"):
        table = load_image_folder(tmp_path)
    assert sorted(table.frame["path"]) == ["a/x.png", "b/y.webp", "b/z.avif"]
    assert "1 file(s) directly in the root belong to no class" in caplog.text
    assert "2 file(s) in class folders are not images (by their extension or their kind) and are skipped" in caplog.text
    assert ".txt" in caplog.text and ".heic" in caplog.text


def test_labels_spelt_several_ways_are_named_in_a_warning(tmp_path, caplog):
    rows = [
        "path,style,period",
        "0.jpg,Impressionism,1",
        "1.jpg,impressionism,01",
        "2.jpg,IMPRESSIONISM,1.0",
        "3.jpg,Cubism,2",
    ]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    with caplog.at_level("WARNING"):
        table = load_csv_table(tmp_path / "t.csv", ["style", "period"])
    assert len(table.classes["style"]) == 4  # kept apart: only the user knows whether they are one class
    assert "column 'style': 1 label(s) are spelt several ways" in caplog.text
    assert "'IMPRESSIONISM' / 'Impressionism' / 'impressionism'" in caplog.text
    assert "column 'period': 1 label(s)" in caplog.text and "'01' / '1' / '1.0'" in caplog.text


def _image(path, colour=(90, 20, 20)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (6, 6), colour).save(path)
    return path


def test_a_csv_naming_one_file_by_two_paths_sees_one_image(tmp_path, caplog):
    """``1.jpg`` and its absolute path with two labels: a conflict, not two rows reported as duplicates."""
    _image(tmp_path / "1.jpg")
    _image(tmp_path / "2.jpg")
    rows = ["path,style", "1.jpg,a", f"{tmp_path / '1.jpg'},b", f"{tmp_path / '2.jpg'},b"]
    table = load_csv_table(_write(tmp_path / "t.csv", "\n".join(rows) + "\n"), ["style"])
    assert table.frame["path"].tolist() == ["2.jpg"]  # absolute inside the root: made relative
    assert "listed with different labels" in caplog.text


def test_an_absolute_csv_path_outside_the_data_root_is_refused(tmp_path, caplog):
    _image(tmp_path / "data" / "1.jpg")
    outside = _image(tmp_path / "elsewhere" / "x.jpg")
    rows = ["path,style", "1.jpg,a", f"{outside},b", "/etc/hostname,b"]
    table = load_csv_table(_write(tmp_path / "data" / "t.csv", "\n".join(rows) + "\n"), ["style"])
    assert table.frame["path"].tolist() == ["1.jpg"]
    assert "2 row(s) whose path leaves the image folder" in caplog.text


@pytest.mark.parametrize("csv_form,disk_form", [("NFC", "NFD"), ("NFD", "NFC")])
def test_csv_file_names_match_the_disk_in_either_unicode_form(tmp_path, csv_form, disk_form):
    import unicodedata

    from artlib.data.dataset import verify_images

    _image(tmp_path / unicodedata.normalize(disk_form, "Café") / unicodedata.normalize(disk_form, "Noël.jpg"))
    listed = unicodedata.normalize(csv_form, "Café/Noël.jpg")
    table = load_csv_table(_write(tmp_path / "t.csv", f"path,style\n{listed},a\n"), ["style"])
    assert (tmp_path / table.frame["path"].iloc[0]).is_file()
    assert len(verify_images(table).table) == 1


def test_symlinked_sub_folders_are_followed_and_link_loops_are_not(tmp_path, caplog):
    from artlib.inference import find_images

    _image(tmp_path / "data" / "a" / "own.jpg")
    _image(tmp_path / "elsewhere" / "linked.jpg")
    _image(tmp_path / "data" / "b" / "y.jpg")
    (tmp_path / "data" / "a" / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "data" / "b" / "loop").symlink_to(tmp_path / "data" / "b", target_is_directory=True)
    table = load_image_folder(tmp_path / "data")
    assert sorted(table.frame["path"]) == ["a/more/linked.jpg", "a/own.jpg", "b/y.jpg"]
    assert "a link loop, not followed" in caplog.text
    found, problems = find_images([tmp_path / "data"])
    assert sorted(p.name for p in found) == ["linked.jpg", "own.jpg", "y.jpg"] and not problems


def test_a_fifo_is_named_as_not_a_regular_file_never_opened(tmp_path, caplog):
    import os

    from artlib.data.dataset import verify_images
    from artlib.data.images import ImageLoadError, load_rgb
    from artlib.inference import find_images

    _image(tmp_path / "a" / "ok.jpg")
    os.mkfifo(tmp_path / "a" / "live.jpg")  # opening it would wait for a writer forever
    with pytest.raises(ImageLoadError, match="not a regular file: .*live.jpg is a FIFO"):
        load_rgb(tmp_path / "a" / "live.jpg")
    table = load_csv_table(_write(tmp_path / "t.csv", "path,style\na/ok.jpg,x\na/live.jpg,y\n"), ["style"])
    report = verify_images(table, decode=False)
    assert report.table.frame["path"].tolist() == ["a/ok.jpg"]
    assert report.bad["error"].str.contains("not a regular file").tolist() == [True]
    assert "not on disk" not in caplog.text  # not called missing
    assert load_image_folder(tmp_path).frame["path"].tolist() == ["a/ok.jpg"]
    assert "not a regular file" in caplog.text
    _, problems = find_images([tmp_path / "a"])
    assert [(p.name, why) for p, why in problems] == [("live.jpg", "not a regular file (a FIFO or a socket)")]


def test_a_link_to_a_folder_above_is_not_followed(tmp_path, caplog):
    """``b/up -> ..`` would bring class a's paintings in again, labelled b."""
    _image(tmp_path / "data" / "a" / "x.jpg")
    _image(tmp_path / "data" / "b" / "y.jpg")
    (tmp_path / "data" / "b" / "up").symlink_to(tmp_path / "data", target_is_directory=True)
    (tmp_path / "data" / "b" / "top").symlink_to(tmp_path, target_is_directory=True)
    table = load_image_folder(tmp_path / "data")
    assert sorted(table.frame["path"]) == ["a/x.jpg", "b/y.jpg"]
    assert caplog.text.count("above the folder being read: not followed") == 2
