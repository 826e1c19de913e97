"""The CI suite: smoke runs of every workflow on the arena, each with a timeout (no metric
thresholds: a job passes when it exits 0 in time). ``.ci/run`` runs it after the tests."""

from __future__ import annotations

import os
import time

from metta_lit.recipe_api import Job, Suite


def ci(data_dir: str = "ci_runs") -> Suite:
    """Train ~10k agent steps, evaluate its ':latest' policy, replay one episode, play 30 steps."""
    data_dir = os.path.abspath(data_dir)
    run = time.strftime("ci.%Y%m%d.%H%M%S")
    latest = f"file://{data_dir}/{run}/checkpoints/{run}:latest"
    return Suite(
        "ci",
        [
            Job(
                "train",
                [
                    "run",
                    "train",
                    "arena",
                    f"run={run}",
                    f"data_dir={data_dir}",
                    "num_envs=4",
                    "total_timesteps=10000",
                    "checkpoint.checkpoint_interval=1",
                    "trainer.enable_progress_bar=false",
                ],
                timeout_s=300,
                budget="12k agent steps",
            ),
            Job(
                "evaluate",
                ["run", "evaluate", "arena", f"policy_uris={latest}", f"stats_db={data_dir}/ci.duckdb"],
                timeout_s=300,
            ),
            Job("replay", ["run", "replay", "arena", f"policy_uri={latest}", f"replay_dir={data_dir}/replays"], 120),
            Job("play", ["run", "play", "arena", f"policy_uri={latest}", "render=log", "steps=30"], timeout_s=60),
        ],
        log_dir=f"{data_dir}/logs",
    )
