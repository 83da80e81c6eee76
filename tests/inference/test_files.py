from pathlib import Path

from toy_problems import untrained_classifier

from artlib.inference import Classifier, ModelCard


def test_a_folder_gives_an_error_row_for_other_types_and_dangling_links(folder, fixture_paths, tmp_path):
    import shutil

    model = untrained_classifier(folder)
    classifier = Classifier(model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32), device="cpu")
    images = tmp_path / "imgs"
    (images / ".ipynb_checkpoints").mkdir(parents=True)
    painting = folder.image_paths()[0]
    shutil.copy(painting, images / "a.jpg")
    shutil.copy(painting, images / ".ipynb_checkpoints" / "a-checkpoint.jpg")
    shutil.copy(painting, images / ".hidden.jpg")
    (images / "scan.heic").write_bytes(b"\0\0")
    (images / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    out = classifier.predict([images])
    assert sorted(out["path"].map(lambda p: Path(p).name).unique()) == ["a.jpg", "gone.jpg", "scan.heic"]
    errors = out.set_index(out["path"].map(lambda p: Path(p).name))["error"]
    assert errors["scan.heic"] == "not an image type (.heic)"
    assert errors["gone.jpg"].startswith("a link to nothing")
    assert out.loc[out["path"].str.endswith("a.jpg"), "error"].isna().all()
