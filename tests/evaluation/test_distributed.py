"""``evaluate --workers N`` and ``--ray_address``: a worker killed mid-job loses and doubles
no rows of the stats DB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metta_lit.evaluation.stats_db import EvalStatsDB
from tests.conftest import ray_cluster

EPISODES = 16  # navigation/default


def start_evaluation(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "metta_lit.cli", "evaluate", "--policy_uris", "random"]
        + ["--simulations", "navigation/default", "--stats_db", str(tmp_path / "stats.duckdb"), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**(env or os.environ), "PYTHONWARNINGS": "ignore"},
    )


def episodes_written(db: Path) -> int:
    try:
        return EvalStatsDB(str(db)).count("episodes")
    except FileNotFoundError:  # evaluate has not created it yet
        return 0


def pids(pattern: str, parent: int | None = None) -> list[int]:
    args = ["pgrep", "-f", pattern] + (["-P", str(parent)] if parent else [])
    out = subprocess.run(args, capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def kill_a_worker_mid_evaluation(proc: subprocess.Popen, db: Path, find_workers) -> None:
    """Once some episodes are in and more are running, SIGKILLs one worker."""
    deadline = time.monotonic() + 240
    while episodes_written(db) < 2 or not find_workers():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else "timed out"
        time.sleep(0.1)
    assert episodes_written(db) < EPISODES
    os.kill(find_workers()[0], signal.SIGKILL)


def check_every_episode_once(db: Path) -> None:
    stats = EvalStatsDB(str(db))
    assert stats.count("episodes") == EPISODES
    (jobs,) = stats.query("SELECT count(DISTINCT value) FROM episode_attributes WHERE attribute = 'eval_job'")[0]
    assert jobs == EPISODES  # each (policy, simulation, episode) job exactly once
    assert stats.count("agent_metrics") == len(
        stats.query("SELECT DISTINCT episode_id, agent_id, metric FROM agent_metrics")
    )
    assert stats.metric(("random", 0), "navigation/default", "reward").samples == EPISODES * 4


@pytest.mark.slow
def test_a_killed_worker_process_loses_and_doubles_nothing(tmp_path):
    db = tmp_path / "stats.duckdb"
    proc = start_evaluation(tmp_path, "--workers", "2")
    kill_a_worker_mid_evaluation(proc, db, lambda: pids("spawn_main", parent=proc.pid))
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert "a worker died; running its" in out and f"random:v0  navigation/default: {EPISODES} episodes" in out
    check_every_episode_once(db)


@pytest.mark.slow
def test_a_killed_driver_leaves_no_worker_and_its_rerun_counts_each_episode_once(tmp_path):
    db = tmp_path / "stats.duckdb"
    proc = start_evaluation(tmp_path, "--workers", "2")
    deadline = time.monotonic() + 240
    while episodes_written(db) < 2:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    workers = pids("spawn_main", parent=proc.pid)
    assert workers
    proc.kill()  # SIGKILL: the driver runs no cleanup
    proc.wait()
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # the workers died with it
    partial = episodes_written(db)
    assert 0 < partial < EPISODES
    out, _ = start_evaluation(tmp_path, "--workers", "2").communicate(timeout=300)
    check_every_episode_once(db)  # the rerun completed the evaluation instead of adding to it
    assert not list(tmp_path.glob("*.shard*"))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_evaluation_run_twice_in_one_process_is_stored_once(tmp_path):
    args = [sys.executable, "-m", "metta_lit.cli", "evaluate", "--policy_uris", "random", "--simulations"]
    args += ["navigation/default", "--stats_db", str(tmp_path / "s.duckdb")]
    for _ in range(2):
        subprocess.run(args, check=True, capture_output=True, timeout=240)
    assert EvalStatsDB(str(tmp_path / "s.duckdb")).count("episodes") == EPISODES


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_killed_ray_worker_loses_and_doubles_nothing(tmp_path):
    with ray_cluster() as (address, env):
        db = tmp_path / "stats.duckdb"
        proc = start_evaluation(tmp_path, "--ray_address", address, env=env)
        kill_a_worker_mid_evaluation(proc, db, lambda: pids("ray::_ray_job"))
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
        check_every_episode_once(db)
