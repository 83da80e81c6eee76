from toy_problems import wikiart_of

from artlib.data.io import load_table, save_table


def test_table_io_roundtrip(fixture_paths, tmp_path):
    table = wikiart_of(fixture_paths)
    save_table(table, tmp_path / "t")
    back = load_table(tmp_path / "t")
    assert back.classes == table.classes and back.root == table.root
    assert back.frame[["path", "artist", "genre", "style"]].equals(table.frame[["path", "artist", "genre", "style"]])
