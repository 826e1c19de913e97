"""Multi-node training: the SLURM job script and launcher, and a real 2-node DDP job on loopback
(two torchrun launches, gloo) that is killed and resumed."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EPOCH, NAV, ROOT, SMALL, read_metrics

LAUNCH = ROOT / "scripts" / "launch.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = free_port()
    procs = [
        launch_node(rank, port, cwd, tmp_path / "probe1", 12 * 2 * EPOCH) for rank, cwd in enumerate((node0, node1))
    ]
    deadline = time.monotonic() + 400
    policy, state = checkpoints / "multi:v2.mpt", checkpoints / "last.ckpt"
    while not (policy.exists() and state.exists() and state.stat().st_mtime >= policy.stat().st_mtime):  # v2 saved
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), (node0 / "node0.log").read_text()[
            -4000:
        ]
        time.sleep(0.2)
    for proc in procs:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole job dies at once: no chance to save
        proc.wait()
    assert not (node1 / "train_dir").exists()  # only global rank 0 writes checkpoints, URIs, logs
    saved = [row["overview/agent_steps"] for row in read_metrics(node0 / "train_dir" / "multi")]
    assert float(saved[1]) == 2 * 2 * EPOCH  # agent steps count both nodes' rollouts

    (node1 / "train_dir").symlink_to(node0 / "train_dir")  # what a shared filesystem gives a cluster
    port = free_port()
    probe = tmp_path / "probe2"
    procs = [
        launch_node(rank, port, cwd, probe, 4 * 2 * EPOCH, "--ckpt_path", "last")
        for rank, cwd in enumerate((node0, node1))
    ]
    wait_all(procs, [node0, node1])
    reports = [json.loads((probe / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [(r["node_rank"], r["local_rank"], r["world_size"]) for r in reports] == [(0, 0, 2), (1, 0, 2)]
    resumed_from = reports[0]["start_agent_steps"]
    assert resumed_from >= 2 * 2 * EPOCH and all(r["start_agent_steps"] == resumed_from for r in reports)
    assert reports[0]["digest"] == reports[1]["digest"]  # the same parameters on both nodes after the updates
    assert reports[0]["agent_steps"] == 4 * 2 * EPOCH == resumed_from + sum(r["collected"] for r in reports)
    rows = read_metrics(node0 / "train_dir" / "multi")
    assert float(rows[-1]["overview/agent_steps"]) == 4 * 2 * EPOCH
    assert float(rows[-1]["overview/global_batch"]) == 2 * float(rows[-1]["overview/batch_per_rank"]) == 2 * EPOCH
    assert {p.name for p in checkpoints.iterdir()} == {"last.ckpt", *(f"multi:v{v}.mpt" for v in range(1, 5))}
