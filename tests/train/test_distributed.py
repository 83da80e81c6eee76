import socket
import subprocess
import sys
import warnings
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(out: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    script = Path(__file__).with_name("ddp_train_script.py")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
        str(script),
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    # the files written tell a crash in training from one at teardown (after the script's last line)
    written = sorted(str(f.relative_to(out)) for f in out.rglob("*") if f.is_file())
    return done, written


def test_torchrun_two_cpu_processes_train_one_model(tmp_path):
    out = tmp_path / "first"
    done, written = _torchrun(out)
    if done.returncode != 0:
        # Two gloo processes on a loaded 2-core machine have once aborted (SIGABRT, "terminate called
        # without an active exception") in 100+ runs: one more try, said aloud, before failing.
        warnings.warn(f"torchrun failed once (files written: {written}): {done.stderr[-1500:]}", stacklevel=1)
        out = tmp_path / "second"
        done, written = _torchrun(out)
    assert done.returncode == 0, f"files written: {written}\n{done.stderr[-3000:]}"
    r0, r1 = ((out / f"rank{r}.txt").read_text().split() for r in (0, 1))
    assert r0[0] == r1[0], "ranks ended with different weights"
    assert r0[1] == "6"  # 96 samples / 2 ranks / 16 per batch = 3 steps per epoch, 2 epochs
    assert (out / "ckpt" / "best.pt").is_file() and (out / "ckpt" / "history.csv").is_file()
    u0, u1 = ((out / f"unfreeze_rank{r}.txt").read_text().split() for r in (0, 1))
    assert u0[0] == u1[0], "progressive unfreezing under DDP left the ranks with different weights"
    assert u0[1] == "True", "every backbone group was unfrozen and trained"


def test_single_process_is_not_distributed():
    from artlib.train import distributed as ddp

    assert not ddp.launched_by_torchrun() and ddp.world_size() == 1 and ddp.is_main()
    ddp.shutdown_distributed()  # a single process has no group to leave
    assert ddp.world_size() == 1
