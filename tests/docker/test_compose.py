"""compose.yaml and the Dockerfile name real things: entry points, ports, folders, the health endpoint; the image
recipe itself is verified by docker/verify.sh (chroot), which runs here only on request (it takes minutes)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
DEFAULT = re.compile(r"\$\{(\w+):?-([^}]*)\}")  # ${VAR:-default} as compose reads it with VAR unset


def unset(text: str) -> str:
    return DEFAULT.sub(lambda m: m.group(2), text)


def command_port(command: list[str]) -> str:
    joined = " ".join(command)
    found = re.search(r"--port[= ](\d+)", joined)
    assert found, f"no --port in {joined!r}"
    return found.group(1)


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_each_service_runs_a_real_entry_point_on_its_published_port(name):
    service = COMPOSE["services"][name]
    command = service["command"]
    program = command[0]
    installed = {"jupyter": "jupyterlab>=4.0"}  # installed by docker/install.sh beside artlib's own scripts
    assert program in SCRIPTS or program in installed, program
    if program in installed:
        assert installed[program] in (ROOT / "docker" / "install.sh").read_text()
    port = command_port(command)
    published = [unset(p) for p in service["ports"]]
    assert published == [f"127.0.0.1:{port}:{port}"], published  # this machine only, unless ARTLIB_BIND says
    assert "--ip=0.0.0.0" in command or "0.0.0.0" in command  # inside the container, on its own interface


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_volumes_mount_real_folders_read_only_where_they_can(name):
    for volume in COMPOSE["services"][name]["volumes"]:
        host, inside, *mode = unset(volume).split(":")
        assert (ROOT / host).is_dir(), f"{name}: {host} is not a folder of the checkout"
        if inside in ("/data",) or (name == "explorer" and inside == "/outputs"):
            assert mode == ["ro"], f"{name}: {inside} should be read-only"
    explorer = COMPOSE["services"]["explorer"]
    assert "/outputs" in explorer["command"] and any(v.endswith(":/outputs:ro") for v in explorer["volumes"])


def test_the_explorer_is_checked_on_streamlits_health_endpoint():
    explorer = COMPOSE["services"]["explorer"]
    test = " ".join(explorer["healthcheck"]["test"])
    port = command_port(explorer["command"])
    assert f"http://127.0.0.1:{port}/_stcore/health" in test and "curl" in test
    assert "curl" in (ROOT / "docker" / "install.sh").read_text()  # the health check's tool is in the image


def test_the_lab_token_comes_from_the_environment_and_is_never_empty():
    command = " ".join(COMPOSE["services"]["lab"]["command"])
    token = re.search(r"--IdentityProvider\.token=(\S+)", command)
    assert token and token.group(1).startswith("${ARTLIB_LAB_TOKEN:?"), command  # compose refuses an unset one


def test_the_image_is_built_by_install_sh_and_runs_as_a_user():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "RUN bash /src/docker/install.sh /src" in dockerfile and "FROM debian:bookworm" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert COMPOSE["services"]["explorer"]["build"]["dockerfile"] == "docker/Dockerfile"
    assert {s.get("image") for s in COMPOSE["services"].values()} == {"artlib:latest"}
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"outputs", "data", ".git", ".venv"} <= set(ignored)


def test_the_recipe_installs_and_serves_in_a_chroot():
    if os.environ.get("ARTLIB_VERIFY_DOCKER") != "1":
        pytest.skip("docker/verify.sh takes minutes (downloads Debian and the wheels): set ARTLIB_VERIFY_DOCKER=1")
    if os.geteuid() != 0:
        pytest.skip("docker/verify.sh needs root (mmdebstrap, chroot)")
    if shutil.which("mmdebstrap") is None:
        pytest.skip("docker/verify.sh needs mmdebstrap (apt-get install -y mmdebstrap)")
    outputs = os.environ.get("ARTLIB_VERIFY_OUTPUTS", str(ROOT / "outputs"))
    done = subprocess.run(["bash", str(ROOT / "docker" / "verify.sh"), outputs], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "health endpoint: ok" in done.stdout and "page: ok" in done.stdout
