"""artlib-app's command line (artlib/app/__init__.py)."""

import pytest

from artlib.app import main


def test_an_outputs_folder_that_is_not_there_is_named_before_a_server_starts(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--outputs", str(tmp_path / "outptus")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "no outputs folder" in err and "outptus" in err
