"""A small site for the web tests (a pytest plugin, loaded by ``conftest.py``): a data folder
with one trained run, a replay folder with one arena replay, a stats DB with one evaluation,
and a secret file beside them that nothing may serve."""

from __future__ import annotations

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
