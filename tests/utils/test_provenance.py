import datetime
import subprocess

import torch

from artlib import __version__
from artlib.utils.provenance import code_version, measured_on


def test_measured_on_names_date_code_versions_and_machine():
    record = measured_on("cpu")
    assert record["date"] == datetime.date.today().isoformat()
    assert record["torch"] == torch.__version__ and record["device"] == "cpu"
    assert record["torch_threads"] == torch.get_num_threads() and record["cpu_cores"] >= 1
    assert record["code"] and record["cpu"] and record["cpu_capability"] == torch.backends.cpu.get_cpu_capability()


def _repo(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "artlib").mkdir()
    (tmp_path / "artlib" / "x.py").write_text("a = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    return git


def test_code_version_is_the_commit_and_says_when_the_code_changed(tmp_path):
    git = _repo(tmp_path)
    clean = code_version(tmp_path)
    assert len(clean) == 12 and "+" not in clean
    (tmp_path / "notes.txt").write_text("untracked files are not code changes\n")
    assert code_version(tmp_path) == clean
    (tmp_path / "artlib" / "x.py").write_text("a = 2\n")
    assert code_version(tmp_path) == f"{clean}+changes"
    git("stash", "-q")
    assert code_version(tmp_path) == clean


def test_outside_a_checkout_the_package_version_stands_in(tmp_path):
    assert code_version(tmp_path / "not_a_checkout") == f"artlib {__version__}"


def test_an_installed_package_reports_its_version_not_the_commit_of_a_repository_around_it(tmp_path, monkeypatch):
    from artlib.utils import paths

    _repo(tmp_path)
    monkeypatch.chdir(tmp_path)  # the working directory is a git repository, but not artlib's checkout
    monkeypatch.setattr(paths, "checkout_root", lambda: None)
    assert code_version() == f"artlib {__version__}"
