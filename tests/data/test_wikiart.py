import pytest

from artlib.data import MalformedRowsError, load_wikiart, read_class_list, read_split_file, split_overlap
from artlib.data.wikiart import file_name_fields


def test_fixture_files_have_the_real_quirks(fixture_paths):
    csv = fixture_paths.wikiart_csv
    artist = (csv / "Artist" / "artist_train").read_bytes()
    assert artist.startswith(b"(Path to image),, (Groundtruth class)") and b",,\n" not in artist
    assert b",," in artist and b"\r\n" not in artist
    assert b"\r\n" in (csv / "Genre" / "genre_train.csv").read_bytes()
    assert (csv / "Style" / "style_class.txt").is_file()


def test_split_file_parsing(fixture_paths):
    frame = read_split_file(fixture_paths.wikiart_csv / "Artist" / "artist_train", num_classes=5)
    assert len(frame) > 100 and frame["label"].between(0, 4).all()
    assert not frame["path"].str.contains(r"[\r,]").any()
    assert frame["path"].str.endswith(".jpg").all()


def test_malformed_row_is_logged_and_skipped(fixture_paths, caplog):
    frame = read_split_file(fixture_paths.wikiart_csv / "Style" / "style_train.csv", num_classes=3)
    assert "row-without-a-label" not in " ".join(frame["path"])
    assert "1 malformed row" in caplog.text
    with pytest.raises(MalformedRowsError, match="line"):
        read_split_file(fixture_paths.wikiart_csv / "Style" / "style_train.csv", 3, on_bad_rows="raise")


def test_out_of_range_labels_and_garbage(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("A/a.jpg,0\nA/b.jpg,7\nA/c.jpg,x\n" + "".join(f"A/{i}.jpg,1\n" for i in range(300)))
    frame = read_split_file(path, num_classes=3)
    assert len(frame) == 301
    path.write_text("A/a.jpg,0\nA/b.jpg,7\nA/c.jpg,x\n")
    with pytest.raises(MalformedRowsError):  # 2 of 3 rows bad: too many to skip
        read_split_file(path, num_classes=3)


def test_class_list_must_be_contiguous(tmp_path):
    (tmp_path / "c").write_text("0 A\n2 B\n")
    with pytest.raises(ValueError, match="indices"):
        read_class_list(tmp_path / "c")


def test_union_marks_missing_and_intersection_keeps_complete(fixture_paths):
    union = load_wikiart(fixture_paths.wikiart_csv, "train", image_root=fixture_paths.wikiart_images)
    inter = load_wikiart(fixture_paths.wikiart_csv, "train", join="intersection")
    assert union.classes["artist"][0] == "Claude_Monet" and union.num_classes == {"artist": 5, "genre": 4, "style": 3}
    assert (union.frame["artist"] == -1).any() and (union.frame["genre"] == -1).any()
    assert (inter.frame[["artist", "genre", "style"]] >= 0).all().all()
    assert len(inter) < len(union)
    assert set(inter.frame["path"]) <= set(union.frame["path"])
    assert union.frame["path"].is_unique
    # style folder of the path and style label agree
    names = union.label_names("style")
    assert (names == union.frame["style_dir"]).all()


def test_real_artgan_files(shared):
    meta = shared / "metadata" / "wikiart_artgan"
    assert len(read_class_list(meta / "Artist" / "artist_class")) == 23
    assert len(read_class_list(meta / "Genre" / "genre_class")) == 10
    assert len(read_class_list(meta / "Style" / "style_class.txt")) == 27
    artist = read_split_file(meta / "Artist" / "artist_train", 23)
    assert len(artist) == 13346  # 13,348 lines less the header and the blank line
    table = load_wikiart(meta, "train")
    counts = table.summary()
    assert counts.loc["style", "labelled"] == 57025 and counts.loc["genre", "labelled"] == 45503
    assert not table.frame["path"].str.contains("\r").any()
    assert table.classes["style"][0] == "Abstract_Expressionism"
    inter = load_wikiart(meta, "train", join="intersection")
    assert (inter.frame[["artist", "genre", "style"]] >= 0).all().all()


def test_real_artgan_val_conflict_is_dropped(shared, caplog):
    frame = read_split_file(shared / "metadata" / "wikiart_artgan" / "Genre" / "genre_val.csv", 10)
    assert frame["path"].is_unique
    assert "different labels" in caplog.text


def test_split_overlap_is_reported(shared):
    overlap = split_overlap(shared / "metadata" / "wikiart_artgan")
    assert overlap.loc["genre", "style"] > 0 and overlap.loc["style", "style"] == 0


@pytest.mark.parametrize(
    "text,match", [("0 A\n1 B\n1 C\n", "index 1 is listed twice"), ("0 A\n1 B\n2 A\n", "name 'A' is listed twice")]
)
def test_class_list_with_a_repeated_index_or_name_is_refused(tmp_path, text, match):
    (tmp_path / "c").write_text(text)
    with pytest.raises(ValueError, match=match):
        read_class_list(tmp_path / "c")


def test_wikiart_file_names_give_artist_and_title():
    assert file_name_fields("Impressionism/claude-monet_water-lilies-1919.jpg") == ("claude-monet", "Water lilies 1919")
    assert file_name_fields("Baroque/untitled.jpg") == ("", "Untitled")
