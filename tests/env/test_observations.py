"""Token observations: exact order and values (spec 2.2)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_game

from metta_lit.env import MettaGridVecEnv

EMPTY = (0xFF, 0xFF, 0xFF)


def tokens(env: MettaGridVecEnv, agent: int = 0) -> list[tuple[int, int, int]]:
    return [tuple(int(x) for x in t) for t in env.observations[0, agent]]


def test_exact_tokens_of_a_3x3_window():
    rows = ["#m.", ".@_", "..."]
    env = MettaGridVecEnv(make_game(rows, obs_width=3, obs_height=3, max_steps=10))
    env.reset()
    c = 0x11  # window centre (row 1, col 1)
    globals_ = [(c, 7, 0), (c, 8, 0), (c, 10, 0)]
    me = [(c, 0, 0), (c, 1, 0), (c, 2, 0), (c, 3, 0), (c, 4, 0)]
    mine = [(0x01, 0, 2), (0x01, 4, 0), (0x01, 5, 1)]  # converting since placement
    altar = [(0x12, 0, 8), (0x12, 4, 0), (0x12, 5, 0)]
    wall = [(0x00, 0, 1)]
    expected = globals_ + me + mine + altar + wall  # distance 0, then 1 (N, E), then 2 (NW)
    assert tokens(env)[: len(expected)] == expected
    assert tokens(env)[len(expected) :] == [EMPTY] * (200 - len(expected))

    env.set_inventory(0, 0, "laser", 2)
    env.set_inventory(0, 0, "ore_red", 4)
    env.step([[2]])  # move_south: succeeds
    obs = tokens(env)
    # completion round(1/10*255)=26, last action 2 (move_south), orientation south, the
    # inventory in ascending item order; from row 2 only the altar is still in view (NE).
    me = [(c, 0, 0), (c, 1, 0), (c, 2, 0), (c, 3, 1), (c, 4, 0), (c, 17, 4), (c, 25, 2)]
    assert obs[:10] == [(c, 7, 26), (c, 8, 2), (c, 10, 0)] + me
    assert obs[10:14] == [(0x02, 0, 8), (0x02, 4, 0), (0x02, 5, 0), EMPTY]


def test_last_reward_token_reports_this_steps_reward_in_hundredths():
    # A heart regrows every step (play, unlike set_inventory): each step is rewarded 0.37.
    agent = {"rewards": {"inventory": {"heart": 0.37}}, "inventory_regen_amounts": {"heart": 1}}
    env = MettaGridVecEnv(make_game(["@"], objects={"wall": {}}, agent=agent, inventory_regen_interval=1))
    env.reset()
    env.step([[0]])
    assert env.rewards[0, 0] == pytest.approx(0.37) and tokens(env)[2] == (0x55, 10, 37)
    env = MettaGridVecEnv(make_game(["@#"], agent={"action_failure_penalty": 0.25}))
    env.reset()
    env.step([[env.action_names.index("move_east")]])  # into the wall: a failed action
    assert env.rewards[0, 0] == pytest.approx(-0.25)
    assert tokens(env)[2] == (0x55, 10, 0)  # negative rewards read 0 in a uint8 token


def _reference_window_order(h: int, w: int) -> list[tuple[int, int]]:
    """Spec 2.2, written independently: by distance d, rows -d..d, (dr, -dc) then (dr, +dc)."""
    out = []
    for d in range(h // 2 + w // 2 + 1):
        for dr in range(-d, d + 1):
            dc = d - abs(dr)
            for col in [-dc] if dc == 0 else [-dc, dc]:
                if abs(dr) <= h // 2 and abs(col) <= w // 2:
                    out.append((dr + h // 2, col + w // 2))
    return out


@pytest.mark.parametrize("h,w", [(5, 5), (3, 7), (11, 11)])
def test_cells_come_in_increasing_manhattan_distance(h, w):
    # A map full of walls around one agent: every window cell holds exactly one wall token.
    size = 15
    rows = ["#" * size] * (size // 2) + ["#" * (size // 2) + "@" + "#" * (size // 2)] + ["#" * size] * (size // 2)
    env = MettaGridVecEnv(
        make_game(
            rows,
            obs_width=w,
            obs_height=h,
            num_observation_tokens=255,
            global_obs={"episode_completion_pct": False, "last_action": False, "last_reward": False},
        )
    )
    env.reset()
    obs = tokens(env)
    walls = [(loc >> 4, loc & 0xF) for loc, f, v in obs if f == 0 and v == 1]
    assert walls == _reference_window_order(h, w)[1:]  # cell 0 is the agent itself


def test_tokens_beyond_the_budget_are_dropped_and_counted():
    env = MettaGridVecEnv(make_game(["###", "#@#", "###"], num_observation_tokens=10))
    env.reset()
    obs = tokens(env)
    assert EMPTY not in obs  # 3 globals + 5 self + 8 walls = 16 > 10
    stats = env.episode_stats()["game"]
    assert stats["tokens_dropped"] == 6 and stats["tokens_written"] == 10


def test_cells_outside_the_map_are_skipped():
    env = MettaGridVecEnv(make_game(["@"], objects={"wall": {}}))
    env.reset()
    obs = tokens(env)
    assert obs[8:] == [EMPTY] * 192  # 3 globals + 5 self tokens, nothing else


def test_feature_spec_names_ids_and_normalizations():
    env = MettaGridVecEnv(make_game(["@"], objects={"wall": {}}))
    spec = env.feature_spec
    assert spec["type_id"] == {"id": 0, "normalization": 1.0}
    assert spec["agent:group"]["id"] == 1 and spec["agent:group"]["normalization"] == 10.0
    assert spec["last_reward"] == {"id": 10, "normalization": 100.0}
    assert spec["inv:ore_red"]["id"] == 17 and spec["inv:blueprint"]["id"] == 26
    assert max(f["id"] for f in spec.values()) == 26  # arena needs 27 channels
    env.reset()
    ids = {f["id"] for f in spec.values()}
    assert {int(t[1]) for t in env.observations[0, 0] if t[0] != 0xFF} <= ids


def test_observations_are_the_same_buffer_every_step():
    env = MettaGridVecEnv(make_game(["@."]))
    obs0 = env.reset()
    obs1, rewards, terminals, truncations = env.step(np.zeros((1, 1), np.int32))
    assert obs0 is obs1 is env.observations and rewards is env.rewards
    assert terminals is env.terminals and truncations is env.truncations
