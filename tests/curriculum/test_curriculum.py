"""Curricula: task spaces, the learning-progress sampler, and per-env tasks in training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metta_lit.core.errors import ConfigError
from metta_lit.curriculum import BucketedCurriculum, LearningProgressCurriculum, TaskSpace
from metta_lit.curriculum.learning_progress import pool_for_episodes
from metta_lit.env import MettaGridVecEnv, env_config
from metta_lit.recipes.prod.arena_basic_easy_shaped import ARENA_EASY_BUCKETS
from metta_lit.rl.torch_env import MettaGridTorchEnv


def test_task_ids_enumerate_the_bucket_product():
    space = TaskSpace({"a": [0, 1], "b": ["x", "y", "z"]})
    assert space.size == 6
    tasks = [space.task(i).overrides for i in range(6)]
    assert tasks == [{"a": a, "b": b} for a in (0, 1) for b in ("x", "y", "z")]
    assert space.task(5).name == "a=1,b=z"
    with pytest.raises(IndexError):
        space.task(6)
    with pytest.raises(ConfigError, match="repeats"):
        TaskSpace({"a": [1, 1]})
    with pytest.raises(ConfigError, match="at least one value"):
        TaskSpace({"a": []})
    assert TaskSpace(ARENA_EASY_BUCKETS).size == 5**4 * 2**4 * 2 * 2**5


def test_learning_progress_moves_probability_onto_the_task_that_is_changing():
    lp = LearningProgressCurriculum({"task": ["rising", "solved", "impossible"]}, num_active_tasks=3, seed=0)
    tasks = {lp.space.task(i).overrides["task"]: lp.space.task(i) for i in range(3)}
    while len(lp.pool) < 3:  # the pool fills with fresh tasks first
        lp.sample()
    assert lp.probabilities() == pytest.approx(dict.fromkeys(range(3), 1 / 3))
    for step in range(40):
        lp.update(tasks["rising"], step / 40)
        lp.update(tasks["solved"], 1.0)
        lp.update(tasks["impossible"], 0.0)
    p = lp.probabilities()
    rising, solved, impossible = (p[tasks[name].id] for name in ("rising", "solved", "impossible"))
    assert rising > 0.8 and solved < 0.1 and impossible < 0.1
    assert solved == pytest.approx(lp.rand_task_rate / 3)  # only exploration's share is left
    draws = [lp.sample_id() for _ in range(2000)]
    assert abs(draws.count(tasks["rising"].id) / 2000 - rising) < 0.05
    stats = lp.stats()
    assert stats["curriculum/p/task=rising"] == pytest.approx(rising) and stats["curriculum/pool_size"] == 3


def test_a_full_pool_evicts_its_stalest_task_to_explore():
    lp = LearningProgressCurriculum({"x": list(range(100))}, num_active_tasks=4, rand_task_rate=1.0, seed=1)
    first = [lp.sample() for _ in range(4)]
    assert len(lp.pool) == 4
    for step in range(5):
        for i, task in enumerate(first):
            lp.update(task, step * 0.1 if i else 0.5)  # first[0] is flat: the stalest
    lp.sample()
    assert first[0].id not in lp.pool and len(lp.pool) == 4
    state = lp.state_dict()
    again = LearningProgressCurriculum({"x": list(range(100))}, num_active_tasks=4, rand_task_rate=1.0)
    again.load_state_dict(state)
    assert again.pool == lp.pool and again.sample_id() == lp.sample_id()


def draw_learnable_share(
    curriculum: LearningProgressCurriculum, seed: int, episodes: int = 420, envs: int = 16
) -> float:
    """A synthetic learner on 64 tasks: 16 learnable (the score rises with each episode of
    that task: 1 - exp(-plays / 15)), 24 impossible (0) and 24 solved (1), each score with
    N(0, 0.1) noise. ``envs`` episodes are under way at once (each env draws its next task when
    its episode ends), as in training; ``episodes`` is what a 10M-agent-step arena run
    finishes (24 agents x 1000 steps per episode). Returns the share of the second half's
    draws that went to learnable tasks (uniform: 0.25)."""
    rng = np.random.default_rng(seed)
    kind = rng.permutation(["learnable"] * 16 + ["impossible"] * 24 + ["solved"] * 24)
    plays = np.zeros(64)
    running = [curriculum.sample() for _ in range(envs)]
    draws = []
    for episode in range(episodes):
        task = running[episode % envs]
        mean = {"learnable": 1 - np.exp(-plays[task.id] / 15), "impossible": 0.0, "solved": 1.0}[kind[task.id]]
        plays[task.id] += 1
        curriculum.update(task, float(mean + rng.normal(0, 0.1)))
        running[episode % envs] = curriculum.sample()
        draws.append(kind[running[episode % envs].id])
    return float(np.mean(np.array(draws[episodes // 2 :]) == "learnable"))


def test_learning_progress_concentrates_on_learnable_tasks_within_a_cpu_runs_episodes():
    buckets = {"a": list(range(8)), "b": list(range(8))}
    shares = [draw_learnable_share(LearningProgressCurriculum(buckets, seed=s), seed=s) for s in range(6)]
    assert np.mean(shares) > 0.4, shares  # uniform would be 0.25
    # The earlier defaults (a pool of 64, timescale 0.1, exploration 0.25) stay near uniform
    # with this many episodes: what the arena runs showed (prob_max 0.018 all run).
    old = {"num_active_tasks": 64, "ema_timescale": 0.1, "rand_task_rate": 0.25}
    old_shares = [draw_learnable_share(LearningProgressCurriculum(buckets, seed=s, **old), seed=s) for s in range(6)]
    assert np.mean(old_shares) < 0.33, old_shares
    assert pool_for_episodes(420) == 16 and pool_for_episodes(50) == 4 and pool_for_episodes(10**9) == 1000


def test_learning_progress_refuses_bad_settings():
    for bad in (
        {"num_active_tasks": 0},
        {"ema_timescale": float("nan")},
        {"rand_task_rate": float("nan")},
        {"slow_timescale_factor": 2},
        {"min_presentations": 0},
    ):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            LearningProgressCurriculum({"x": [0, 1]}, **bad)


def test_each_env_plays_its_own_task_and_reports_its_score():
    base = env_config("arena").with_overrides({"game.max_steps": 6})
    curriculum = BucketedCurriculum({"game.agent.initial_inventory.ore_red": [0, 3]}, seed=0)
    env = MettaGridTorchEnv(base, num_envs=8, seed=0, curriculum=curriculum)
    env.reset()
    held = {}
    for e in range(8):
        agents = [o for o in env.vec.grid_objects(e) if o["type_name"] == "agent"]
        held[e] = agents[0]["inventory"].get(env.vec.resource_names.index("ore_red"), 0)
        assert env._tasks[e].overrides["game.agent.initial_inventory.ore_red"] == held[e]
    assert set(held.values()) == {0, 3}  # both tasks drawn among 8 envs
    td = env.reset()
    for _ in range(6):
        td = env.step(td.set("action", torch.zeros(8, 24, dtype=torch.long)))["next"].clone()
    episodes = env.pop_finished_episodes()
    assert len(episodes) == 8 and sum(curriculum.counts.values()) == 8
    assert {ep.task for ep in episodes} <= {"initial_inventory.ore_red=0", "initial_inventory.ore_red=3"}


def test_a_task_that_reshapes_the_env_is_refused_by_name():
    vec = MettaGridVecEnv(env_config("arena"), num_envs=1)
    with pytest.raises(ConfigError, match="obs_width"):
        vec.compile_task(env_config("arena").with_overrides({"game.obs_width": 7, "game.obs_height": 7}))
    changed = vec.compile_task(env_config("arena").with_overrides({"game.agent.initial_inventory.laser": 2}))
    vec.reset()
    vec.step(np.zeros((1, 24), dtype=np.int32))
    vec.assign_task(0, changed)  # mid-episode: applies from the next reset
    laser = vec.resource_names.index("laser")
    assert all(laser not in o["inventory"] for o in vec.grid_objects(0) if o["type_name"] == "agent")
    vec.reset()
    assert all(o["inventory"].get(laser) == 2 for o in vec.grid_objects(0) if o["type_name"] == "agent")


def test_the_easy_arena_tasks_compile_and_stock_their_buildings():
    """Every bucket of the shaped recipe is a task the native env takes; a task with stocked
    buildings starts each altar holding a heart, the others start empty."""
    space = TaskSpace(ARENA_EASY_BUCKETS)
    vec = MettaGridVecEnv(env_config("arena_easy"), num_envs=2)
    heart = vec.resource_names.index("heart")
    for e, task_id in enumerate((0, space.size - 1)):  # every first value, every last value
        task = space.task(task_id)
        vec.assign_task(e, vec.compile_task(vec.config.with_overrides(task.overrides), task.name))
    vec.reset()
    altars = [[o for o in vec.grid_objects(e) if o["type_name"] == "altar"] for e in range(2)]
    assert all(heart not in a["inventory"] for a in altars[0]) and len(altars[0]) == 20
    assert all(a["inventory"].get(heart) == 1 for a in altars[1])


def test_training_logs_the_curriculum_and_a_resume_continues_it(tmp_path):
    from conftest import EPOCH, fit_args, read_metrics

    from metta_lit.cli.trainer import cli

    def fit(budget: int):
        return cli(
            [
                *fit_args("cur", budget),
                "--model.init_args.curriculum",
                "metta_lit.curriculum.LearningProgressCurriculum",
                "--model.init_args.curriculum.init_args.buckets",
                '{"game.agent.initial_inventory.heart": [0, 1], "game.agent.rewards.inventory.heart": [0.5, 1]}',
                "--checkpoint.data_dir",
                str(tmp_path),
            ]
        )

    first = fit(2 * EPOCH).model.curriculum
    assert sum(first.counts.values()) > 0 and len(first.pool) == 4
    rows = read_metrics(tmp_path / "cur")
    assert float(rows[-1]["curriculum/episodes"]) == sum(first.counts.values())
    marginal = [float(rows[-1][f"curriculum/p/initial_inventory.heart={v}"]) for v in (0, 1)]
    assert sum(marginal) == pytest.approx(1.0)
    saved = torch.load(tmp_path / "cur" / "checkpoints" / "last.ckpt", weights_only=True)["metta_lit"]["curriculum"]
    assert saved["counts"] == dict(first.counts)
    resumed = fit(3 * EPOCH).model.curriculum  # the same run name resumes it
    assert all(resumed.counts[task] >= n for task, n in first.counts.items())
    assert sum(resumed.counts.values()) > sum(first.counts.values())


def test_bad_buckets_are_refused_up_front_and_huge_spaces_still_draw():
    for buckets, message in (
        ({"game.agent.rewards.inventory.heart": [0.5, float("nan")]}, "nan is not a usable value"),
        ({"game.agent.rewards.inventory.heart": []}, "at least one value"),
        ({"x": list(range(20_000))}, "at most"),
        ({"game.num_agents,,game.map_builder.agents": [2, 4]}, "dotted env config keys"),
        ({"": [1]}, "dotted env config keys"),
    ):
        with pytest.raises(ConfigError, match=message):
            BucketedCurriculum(buckets)
    huge = {f"k{i}": list(range(10)) for i in range(25)}  # 10^25 tasks: beyond numpy's int64
    for curriculum in (BucketedCurriculum(huge, seed=1), LearningProgressCurriculum(huge, seed=1)):
        task = curriculum.sample()
        assert 0 <= task.id < 10**25 and len(task.overrides) == 25
    many = BucketedCurriculum({"x": list(range(300))})
    assert not [k for k in many.stats() if k.startswith("curriculum/p/")]  # no column per value
    assert len([k for k in BucketedCurriculum({"x": [1, 2]}).stats() if k.startswith("curriculum/p/")]) == 2


def test_a_curriculum_over_group_sizes_plays_each_in_the_same_slots_and_logs_each_apart():
    """One bucket moves ``num_agents`` and the map's agents together (a comma-separated key): the
    envs of one batch play groups of 2, 4 and 8 in 8 slots; each episode reports its own agents
    only, and training's metrics split by group size."""
    from metta_lit.train.metrics import episode_metrics

    space = TaskSpace({"game.num_agents,game.map_builder.agents": [2, 4, 8]})
    assert space.task(1).overrides == {"game.num_agents": 4, "game.map_builder.agents": 4}
    assert space.task(0).name == "game.num_agents=2,map_builder.agents=2"
    base = env_config("commons_groups").with_overrides({"game.max_steps": 5})
    curriculum = BucketedCurriculum({"game.num_agents,game.map_builder.agents": [2, 4, 8]}, seed=0)
    env = MettaGridTorchEnv(base, num_envs=12, seed=0, curriculum=curriculum)
    td = env.reset()
    assert env.batch_size == torch.Size([12, 8])
    placed = [env.vec.placed(e) for e in range(12)]
    assert set(placed) == {2, 4, 8}
    assert td["active"].squeeze(-1).sum(1).tolist() == placed
    for _ in range(5):
        td = env.step(td.set("action", torch.ones(12, 8, dtype=torch.long)))["next"].clone()
    episodes = env.pop_finished_episodes()
    assert sorted(len(ep.rewards) for ep in episodes) == sorted(placed)
    assert all(ep.stats.agent.shape[0] == len(ep.rewards) == len(ep.agent_groups) for ep in episodes)
    logged = episode_metrics(episodes)
    assert {f"by_agents/{n}/episode/reward" for n in (2, 4, 8)} <= set(logged)
    assert logged["episode/agents"] == pytest.approx(np.mean(placed))
    assert {"by_agents/2/coop/commons_left", "by_agents/8/coop/commons_left"} <= set(logged)
