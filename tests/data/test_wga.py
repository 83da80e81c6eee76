from artlib.data import load_wga
from artlib.data.wga import link_to_path


def test_wga_fixture_and_real(fixture_paths, shared):
    table = load_wga(fixture_paths.wga_csv)
    assert all(p.is_file() for p in table.image_paths())
    real = load_wga(shared / "metadata" / "wga" / "paintings.csv")
    assert len(real) == 9423 and real.num_classes == {"type": 10, "school": 25, "timeframe": 10}
    assert link_to_path("http://www.wga.hu/art/m/master/x.jpg") == "m/master/x.jpg"
