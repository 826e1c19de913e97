"""Multi-node training: the SLURM job script and launcher, and a real 2-node DDP job on loopback
(two torchrun launches, gloo) that is killed and resumed."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EPOCH, NAV, ROOT, SMALL, free_port, read_metrics

LAUNCH = ROOT / "scripts" / "launch.py"


@pytest.mark.slow
def test_the_sbatch_script_for_2_nodes_of_4_gpus_runs_torchrun_on_each_node(tmp_path):
    rendered = subprocess.run(
        [sys.executable, str(LAUNCH), "--sbatch", "--nodes", "2", "--gpus_per_node", "4", "--run", "big"]
        + ["--config", "configs/arena.yaml", "--", "--model.init_args.total_timesteps", "1000000"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    for line in (
        "#SBATCH --nodes=2",
        "#SBATCH --ntasks-per-node=1",
        "#SBATCH --gpus-per-node=4",
        "#SBATCH --job-name=big",
    ):
        assert line in rendered.splitlines()
    # A stand-in for srun: runs the job step as node 1 of job 4242 would, as a dry run.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text(
        '#!/bin/bash\nwhile [[ "$1" == --* ]]; do shift; done\npython=$1 script=$2; shift 2\n'
        'exec "$python" "$script" --dry-run "$@"\n'
    )
    (bin_dir / "srun").chmod(0o755)
    (tmp_path / "job.sbatch").write_text(rendered)
    slurm = {
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NUM_NODES": "2",
        "SLURM_NODEID": "1",
        "SLURM_JOB_NODELIST": "gpu-a[3-4]",
    }
    env = {**os.environ, **slurm, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    out = subprocess.run(
        ["bash", "job.sbatch"], capture_output=True, text=True, check=True, cwd=tmp_path, env=env
    ).stdout
    assert shlex.split(out) == [
        sys.executable,
        "-m",
        "torch.distributed.run",
        *("--nnodes", "2", "--nproc_per_node", "4", "--node_rank", "1", "--rdzv_endpoint", "gpu-a3:19242"),
        *("-m", "metta_lit.cli", "fit", "--config", "configs/arena.yaml"),
        *("--trainer.accelerator", "gpu", "--trainer.devices", "4", "--trainer.num_nodes", "2"),
        *("--trainer.strategy", "ddp", "--checkpoint.run", "big", "--model.init_args.total_timesteps", "1000000"),
    ]


def test_the_launcher_refuses_a_node_rank_outside_the_job():
    proc = subprocess.run(
        [sys.executable, str(LAUNCH), "--nodes", "2", "--node_rank", "2", "--run", "x", "--dry-run"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "0 <= node_rank < nodes" in proc.stderr


def launch_node(node_rank: int, port: int, cwd: Path, probe: Path, agent_steps: int, *extra: str) -> subprocess.Popen:
    """One node of a 2-node job (one CPU process per node), in its own session for killing."""
    args = [sys.executable, str(LAUNCH), "--cpu", "--nodes", "2", "--gpus_per_node", "1"]
    args += ["--node_rank", str(node_rank), "--master_addr", "127.0.0.1", "--master_port", str(port)]
    args += ["--run", "multi", "--config", NAV, "--", *SMALL, "--checkpoint.data_dir", "train_dir"]
    args += ["--model.init_args.total_timesteps", str(agent_steps), "--checkpoint.checkpoint_interval", "1"]
    args += [
        "--trainer.callbacks",
        json.dumps([{"class_path": "tests.ddp_probe.RankProbe", "init_args": {"out_dir": str(probe)}}]),
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    log = open(cwd / f"node{node_rank}.log", "a")  # noqa: SIM115 (the process writes it until it ends)
    return subprocess.Popen(
        [*args, *extra], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def descendants(pid: int) -> list[int]:
    children = [
        int(c) for c in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    return children + [d for c in children for d in descendants(c)]


def kill_job(procs: list[subprocess.Popen]) -> None:
    """SIGKILLs every process of the job at once, as a scheduler ending it would: torchrun starts
    each worker in a session of its own, so killing the launchers alone would orphan them."""
    pids = [pid for proc in procs for pid in (proc.pid, *descendants(proc.pid))]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for proc in procs:
        proc.wait()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "the job's processes outlived SIGKILL"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    """Running (a zombie has exited: only its parent has not collected it yet)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read()
    except FileNotFoundError:
        return False


def wait_all(procs: list[subprocess.Popen], cwds: list[Path], timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    for proc, cwd in zip(procs, cwds, strict=True):
        code = proc.wait(timeout=max(1, deadline - time.monotonic()))
        assert code == 0, (cwd / f"node{cwds.index(cwd)}.log").read_text()[-4000:]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_two_node_job_on_loopback_trains_in_lockstep_and_resumes_after_a_kill(tmp_path):
    # Node 0 and node 1 run in different folders with a relative data dir, so anything rank 1
    # wrote would land in node 1's folder; both folders share one run only for the resume.
    node0, node1 = tmp_path / "node0", tmp_path / "node1"
    node0.mkdir()
    node1.mkdir()
    checkpoints = node0 / "train_dir" / "multi" / "checkpoints"
    log = node0 / "node0.log"
    port = free_port()
    procs = [
        launch_node(rank, port, cwd, tmp_path / "probe1", 400 * 2 * EPOCH) for rank, cwd in enumerate((node0, node1))
    ]
    deadline = time.monotonic() + 400
    while not (checkpoints / "multi:v3.mpt").exists():  # then last.ckpt holds at least two updates
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), log.read_text()[-4000:]
        time.sleep(0.1)
    kill_job(procs)
    assert not (node1 / "train_dir").exists()  # only global rank 0 writes checkpoints, URIs, logs
    saved = [row["overview/agent_steps"] for row in read_metrics(node0 / "train_dir" / "multi")]
    assert float(saved[1]) == 2 * 2 * EPOCH  # agent steps count both nodes' rollouts

    (node1 / "train_dir").symlink_to(node0 / "train_dir")  # what a shared filesystem gives a cluster
    port, probe, total = free_port(), tmp_path / "probe2", 30 * 2 * EPOCH
    procs = [
        launch_node(rank, port, cwd, probe, total, "--ckpt_path", "last") for rank, cwd in enumerate((node0, node1))
    ]
    wait_all(procs, [node0, node1])
    reports = [json.loads((probe / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [(r["node_rank"], r["local_rank"], r["world_size"]) for r in reports] == [(0, 0, 2), (1, 0, 2)]
    resumed_from = reports[0]["start_agent_steps"]
    assert 2 * 2 * EPOCH <= resumed_from < total and all(r["start_agent_steps"] == resumed_from for r in reports)
    assert reports[0]["digest"] == reports[1]["digest"]  # the same parameters on both nodes after the updates
    assert reports[0]["agent_steps"] == total == resumed_from + sum(r["collected"] for r in reports)
    rows = read_metrics(node0 / "train_dir" / "multi")
    assert float(rows[-1]["overview/agent_steps"]) == total
    assert float(rows[-1]["overview/global_batch"]) == 2 * float(rows[-1]["overview/batch_per_rank"]) == 2 * EPOCH
    kept = {f"multi:v{v}.mpt" for v in range(21, 31)}  # the newest 10 (keep_last's default)
    assert {p.name for p in checkpoints.iterdir()} == {"last.ckpt", *kept}
