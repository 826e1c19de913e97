"""Random-action soak: >=100k agent-steps over every action, invariants checked every step."""

from __future__ import annotations

from collections import Counter

import numpy as np

from metta_lit.env import GameConfig, MettaGridVecEnv

LIMIT, SHARED = 12, 8


def soak_game() -> GameConfig:
    return GameConfig.model_validate(
        {
            "num_agents": 12,
            "max_steps": 150,
            "agent": {
                "default_resource_limit": LIMIT,
                "resource_limits": {"heart": 255},
                "shared_limits": [{"resources": ["ore_red", "battery_red"], "limit": SHARED}],
                "initial_inventory": {"laser": 3, "armor": 1, "ore_red": 4, "battery_red": 4},
                "shareable_resources": ["ore_red"],
                "soul_bound_resources": ["armor"],
                "action_failure_penalty": 0.01,
                "rewards": {"inventory": {"heart": 1, "ore_red": 0.1}, "inventory_max": {"ore_red": 0.5}},
            },
            "groups": {"red": {"id": 0, "group_reward_pct": 0.3}, "blue": {"id": 1}},
            "objects": {
                name: {}
                for name in (
                    "wall",
                    "block",
                    "mine_red",
                    "generator_red",
                    "altar",
                    "lasery",
                    "armory",
                    "lab",
                    "factory",
                    "temple",
                )
            },
            "actions": {
                "noop": True,
                "move": True,
                "rotate": True,
                "put_items": True,
                "get_items": True,
                "attack": {"consumed_resources": {"laser": 1}, "defense_resources": {"armor": 1}},
                "swap": True,
                "change_color": True,
                "change_glyph": {"number_of_glyphs": 3},
            },
            "map_builder": {
                "type": "mapgen",
                "width": 10,
                "height": 10,
                "instances": 2,
                "border_width": 1,
                "instance_border_width": 1,
                "instance": {
                    "agents": {"red": 3, "blue": 3},
                    "objects": {
                        "wall": 6,
                        "block": 8,
                        "mine_red": 6,
                        "generator_red": 4,
                        "altar": 3,
                        "lasery": 2,
                        "armory": 2,
                        "lab": 1,
                        "factory": 1,
                        "temple": 1,
                    },
                },
            },
        }
    )


def check_tokens(obs: np.ndarray, feature_ids: set[int]) -> None:
    """obs [agents, T, 3]: globals first at the centre, then valid cells, then only padding."""
    assert (obs[:, :3, 0] == 0x55).all() and (obs[:, :3, 1] == [7, 8, 10]).all()
    empty = obs[:, :, 0] == 0xFF
    # Padding is a suffix and is 0xFF in all three bytes.
    first_empty = np.where(empty.any(1), empty.argmax(1), obs.shape[1])
    assert (empty == (np.arange(obs.shape[1]) >= first_empty[:, None])).all()
    assert (obs[empty] == 0xFF).all()
    loc = obs[~empty][:, 0]
    assert ((loc >> 4) < 11).all() and ((loc & 0xF) < 11).all()
    assert set(np.unique(obs[~empty][:, 1]).tolist()) <= feature_ids


def check_grid(env: MettaGridVecEnv, e: int, names: list[str]) -> None:
    cells = Counter()
    for o in env.grid_objects(e):
        cells[(o["r"], o["c"], o["layer"])] += 1
        inv = {names[i]: q for i, q in o["inventory"].items()}
        if o["type_name"] == "agent":
            assert all(q <= LIMIT for r, q in inv.items() if r != "heart")
            assert inv.get("ore_red", 0) + inv.get("battery_red", 0) <= SHARED
            assert 0 <= o["freeze_remaining"] <= 10
        elif o["type_name"] in ("mine_red", "generator_red", "altar", "lasery", "armory", "lab"):
            outputs = {names[i] for i in o["output_resources"]}
            assert sum(q for r, q in inv.items() if r in outputs) <= 5
    assert max(cells.values()) == 1, "two objects share a cell layer"
    positions = Counter((r, c) for r, c, _ in cells)
    assert max(positions.values()) == 1, "an agent stands on an object"


def test_random_soak_keeps_invariants():
    envs, steps = 10, 850  # 10 envs x 12 agents x 850 steps = 102,000 agent-steps
    env = MettaGridVecEnv(soak_game(), num_envs=envs, seed=7, num_threads=2, desync_episodes=True)
    env.reset()
    feature_ids = {f["id"] for f in env.feature_spec.values()}
    names = env.resource_names
    rng = np.random.default_rng(1)
    returns = np.zeros((envs, env.num_agents))
    episodes = 0
    for t in range(steps):
        env.step(rng.integers(-1, env.num_actions + 1, size=(envs, env.num_agents)))  # incl. invalid ids
        check_tokens(env.observations.reshape(-1, 200, 3), feature_ids)
        assert np.isfinite(env.rewards).all()
        returns += env.rewards
        done = env.terminals.all(1) | env.truncations.all(1)
        for e in range(envs):
            if t % 10 == 0 or done[e]:
                check_grid(env, e, names)
            if done[e]:
                np.testing.assert_allclose(env.episode_rewards(e), returns[e], atol=1e-4)
                returns[e] = 0
                episodes += 1
        assert (env.terminals.all(1) == env.terminals.any(1)).all()  # episodes end for all agents
    exercised = set().union(*(env.episode_stats(e)["agent"][a] for e in range(envs) for a in range(12)))
    for key in (
        "action.attack.success",
        "action.swap.success",
        "action.put_items.success",
        "action.get_items.success",
        "action.invalid_type",
        "status.frozen.ticks",
    ):
        assert key in exercised, f"the soak never exercised {key}"
    assert episodes >= envs
