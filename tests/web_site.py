"""A small site for the web tests (a pytest plugin, loaded by ``conftest.py``): a data folder
with one trained run, a replay folder with one arena replay, a stats DB with one evaluation,
and a secret file beside them that nothing may serve."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from pathlib import Path

import pytest

from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.records import EpisodeRecord, Pairing, SimulationRecord
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.evaluation.stats_db import EvalStatsDB
from tests.conftest import EPOCH, fit_args, metta_lit

MOVES = {"move_north": (0, -1), "move_south": (0, 1), "move_west": (-1, 0), "move_east": (1, 0)}  # (dc, dr)


def free_move(objects: list[dict], agent: dict) -> tuple[str, list[int]]:
    """A move whose target cell holds no object, and that cell."""
    taken = {tuple(o["location"][:2]) for o in objects}
    for move, (dc, dr) in MOVES.items():
        target = [agent["location"][0] + dc, agent["location"][1] + dr]
        if tuple(target) not in taken:
            return move, target
    raise AssertionError("the agent is boxed in")


def make_replay(replay_dir: Path, env: str = "arena", steps: int = 40, seed: int = 0) -> str:
    """One short episode of ``env`` by a random policy; returns the replay's file name."""
    sim = SimulationConfig(suite="t", name=env, env=env, env_overrides={"game.max_steps": steps}, num_episodes=1)
    record = run_simulation(PolicyHandle.from_uri("random"), sim, seed=seed, replay_dir=str(replay_dir))
    return record.episodes[0].replay_url.rsplit("/", 1)[-1]


def write_evaluation(
    db: str, policy: str, version: int, reward: float, sim: str = "nav", episode_metrics: dict | None = None
) -> None:
    """One simulation of one two-agent episode, both agents scoring ``reward``."""
    now = datetime.now()
    episode = EpisodeRecord(
        f"{policy}{version}{sim}",
        f"s-{policy}{version}{sim}",
        10,
        now,
        {},
        [0, 0],
        [{"reward": reward}] * 2,
        [(policy, version)] * 2,
        episode_metrics=episode_metrics or {},
    )
    EvalStatsDB(db).write(
        [SimulationRecord(f"s-{policy}{version}{sim}", "suite", sim, policy, version, now, now, [episode])]
    )


def write_crossplay(db: str, a: str, b: str, reward_a: float, reward_b: float, episodes: int, seed: int = 0) -> None:
    """``episodes`` 2v2 cross-play episodes of ``a:v1`` (agents 0-1) beside ``b:v1`` (2-3), and
    each of them alone (self-play), on the same slots: every agent of a side scores its reward."""
    now = datetime.now()
    sims = []
    for first, second in ((a, b), (b, a), (a, a), (b, b)):
        sim_id = f"x-{first}-{second}-{seed}"
        reward = {a: reward_a, b: reward_b}
        records = [
            EpisodeRecord(
                f"{sim_id}-{k}",
                sim_id,
                10,
                now,
                {"seed": str(seed), "slot": f"0.{k}"},
                [0] * 4,
                [{"reward": reward[first]}] * 2 + [{"reward": reward[second]}] * 2,
                [(first, 1)] * 2 + [(second, 1)] * 2,
                pairing=Pairing("2v2", first, 1, 2, second, 1),
            )
            for k in range(episodes)
        ]
        sims.append(SimulationRecord(sim_id, "suite", "xplay", first, 1, now, now, records))
    EvalStatsDB(db).write(sims)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, Path]:
    """The site (see the module's docstring); paths by role."""
    root = tmp_path_factory.mktemp("web")
    metta_lit(
        *fit_args("webrun", 2 * EPOCH),
        "--checkpoint.data_dir",
        str(root / "train_dir"),
        "--trainer.check_val_every_n_epoch",
        "1",  # validation points for the dashboard's val/reward chart
        cwd=root,
    )
    replays = root / "replays"
    name = make_replay(replays)
    (root / "secret.json.z").write_bytes(zlib.compress(b'{"secret": 1}'))
    write_evaluation(str(root / "stats.duckdb"), "webrun", 2, 1.5)
    return {
        "root": root,
        "data": root / "train_dir",
        "replays": replays,
        "replay": replays / name,
        "db": root / "stats.duckdb",
    }


def write_experiment(
    folder: Path, name: str = "exp", verdict: str = "b is higher than a on reward by 2 [1.8, 2.2]"
) -> Path:
    """An experiment as `metta-lit experiment` leaves it: two arms x two seeds, a.s0 and b.s0
    scored, a.s1 training, b.s1 waiting; aggregated results with ``verdict``."""
    root = folder / name
    runs = [{"run": f"{name}.{arm}.s{seed}", "arm": arm, "seed": seed} for arm in ("a", "b") for seed in (0, 1)]
    root.mkdir(parents=True)
    (root / "plan.json").write_text(json.dumps({"name": name, "arms": ["a", "b"], "runs": runs}))
    for run in (f"{name}.a.s0", f"{name}.b.s0"):
        (root / "train_dir" / run).mkdir(parents=True)
        (root / "train_dir" / run / "scores.json").write_text("{}")
    (root / "train_dir" / f"{name}.a.s1" / "logs").mkdir(parents=True)
    (root / "train_dir" / f"{name}.a.s1" / "logs" / "metrics.csv").write_text("step,overview/agent_steps\n0,2048\n")
    arm = {"runs": 1, "mean": 1.0, "mean_ci": [0.9, 1.1], "iqm": 1.0, "iqm_ci": [0.9, 1.1]}
    curve = [{"agent_steps": 1000, "iqm": 0.5, "ci": [0.4, 0.6]}, {"agent_steps": 2000, "iqm": 1.0, "ci": [0.9, 1.1]}]
    results = {
        "config": {"name": name},
        "runs": [{**r, "status": "done"} for r in runs],
        "metrics": {
            "reward": {
                "arms": {"a": arm, "b": {**arm, "mean": 3.0}},
                "pairs": [],
                "verdicts": [verdict],
                "curves": {"a": curve, "b": curve},
                "profiles": {},
            }
        },
    }
    (root / "experiment.json").write_text(json.dumps({"provenance": {}, "results": results}))
    return root
