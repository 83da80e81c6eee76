import socket
import subprocess
import sys
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_cpu_processes_train_one_model(tmp_path):
    script = Path(__file__).with_name("ddp_train_script.py")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
        str(script),
        str(tmp_path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    r0, r1 = ((tmp_path / f"rank{r}.txt").read_text().split() for r in (0, 1))
    assert r0[0] == r1[0], "ranks ended with different weights"
    assert r0[1] == "6"  # 96 samples / 2 ranks / 16 per batch = 3 steps per epoch, 2 epochs
    assert (tmp_path / "ckpt" / "best.pt").is_file() and (tmp_path / "ckpt" / "history.csv").is_file()
    u0, u1 = ((tmp_path / f"unfreeze_rank{r}.txt").read_text().split() for r in (0, 1))
    assert u0[0] == u1[0], "progressive unfreezing under DDP left the ranks with different weights"
    assert u0[1] == "True", "every backbone group was unfrozen and trained"


def test_single_process_is_not_distributed():
    from artlib.train import distributed as ddp

    assert not ddp.launched_by_torchrun() and ddp.world_size() == 1 and ddp.is_main()
    ddp.shutdown_distributed()  # a single process has no group to leave
    assert ddp.world_size() == 1
