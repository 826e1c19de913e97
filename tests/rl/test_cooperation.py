"""Cooperation metrics on hand-computed episodes, and from a real episode's summary."""

from __future__ import annotations

import numpy as np
import pytest

from metta_lit.env import env_config
from metta_lit.policy import RandomPolicy
from metta_lit.rl.acting import play_episodes
from metta_lit.rl.cooperation import cooperation_metrics, gini
from metta_lit.rl.torch_env import MettaGridTorchEnv

# Typed stat keys (kind, a, b), as the native env keys them.
KEYS = [
    ("uses_by_agents", "assembler", "1"),
    ("uses_by_agents", "assembler", "2"),
    ("uses_by_agents", "assembler", "3+"),
    ("hit", "red", "red"),
    ("hit", "red", "blue"),
    ("hit_by", "blue", "red"),
    ("steals", "heart", "blue"),
    ("shared", "heart", ""),
    ("chest_passed", "heart", ""),
]


def test_gini_of_equal_shares_is_zero_and_of_one_takes_all_approaches_one():
    assert gini(np.array([2.0, 2.0, 2.0])) == 0.0
    assert gini(np.array([3.0, 1.0])) == pytest.approx(0.25)  # mean |diff| 1 over 2 x mean 2
    assert gini(np.array([4.0, 0.0, 0.0, 0.0])) == pytest.approx(0.75)  # (n - 1) / n
    assert gini(np.array([0.0, 0.0])) is None and gini(np.array([1.0, -3.0])) is None


def test_team_returns_inequality_assembler_uses_attacks_and_steals_by_team():
    returns = np.array([3.0, 1.0, 0.0, 0.0])
    teams = ["red", "red", "blue", "blue"]
    agent = np.zeros((4, len(KEYS)), dtype=np.float32)
    agent[0, 3], agent[0, 4], agent[0, 6] = 1, 2, 3  # a red hits red once, blue twice; steals 3 from blue
    agent[2, 6] = 1  # a blue steals 1 from its own team
    agent[3, 5] = 2  # hit_by counts the victim's side: not counted again
    agent[1, 7] = 2  # a red hands 2 hearts over
    game = np.array([1, 4, 2, 0, 0, 0, 0, 0, 5], dtype=np.float32)
    assert cooperation_metrics(returns, teams, KEYS, agent, game) == {
        "coop/red/return": 4.0,
        "coop/red/gini": pytest.approx(0.25),
        "coop/blue/return": 0.0,  # no gini: nobody in blue earned anything
        "coop/assembler_uses_alone": 1.0,
        "coop/assembler_uses_together": 6.0,
        "coop/attacks_own_team": 1.0,
        "coop/attacks_other_team": 2.0,
        "coop/steals_own_team": 1.0,
        "coop/steals_other_team": 3.0,
        "coop/items_shared": 2.0,
        "coop/chest_passed": 5.0,
    }


def test_counts_of_mechanics_an_env_lacks_are_left_out():
    out = cooperation_metrics(np.array([1.0]), ["agent"], [("gained", "heart", "")], np.ones((1, 1)), np.zeros(1))
    assert out == {"coop/agent/return": 1.0, "coop/agent/gini": 0.0}


def test_a_played_episode_summary_carries_the_cooperation_metrics():
    base = MettaGridTorchEnv(env_config("coop_assembler"), num_envs=2, seed=3)
    (episode, *_) = play_episodes(base, [(RandomPolicy({}, []), 8)], [1, 1])
    summary = episode.summary()
    column = episode.stat_names.index("assembler.uses.agents_2")
    assert summary["coop/assembler_uses_together"] == episode.stats.game[column]
    teams = {f"team_{k}" for k in range(1, 5)}
    assert {key.split("/")[1] for key in summary if key.endswith("/return")} == teams
    assert sum(summary[f"coop/{t}/return"] for t in teams) == pytest.approx(float(episode.rewards.sum()))


def test_protocol_uses_and_vibe_changes_are_reported_per_protocol():
    keys = [
        ("uses", "assembler", ""),
        ("protocol_uses", "assembler", "0"),
        ("protocol_uses", "door", "1"),
        ("action_success", "change_vibe", ""),
    ]
    agent = np.zeros((2, 4), dtype=np.float32)
    agent[0, 3], agent[1, 3] = 3, 4  # vibe changes of each agent
    game = np.array([5.0, 5.0, 2.0, 0.0], dtype=np.float32)
    out = cooperation_metrics(np.zeros(2), ["red", "red"], keys, agent, game)
    assert out["coop/assembler/protocol_0_uses"] == 5.0 and out["coop/door/protocol_1_uses"] == 2.0
    assert out["coop/vibe_changes"] == 7.0
    quiet = cooperation_metrics(np.zeros(2), ["red", "red"], KEYS, np.zeros((2, len(KEYS))), np.zeros(len(KEYS)))
    assert not any("protocol" in key or "vibe" in key for key in quiet)


def test_vibe_action_mutual_information_on_hand_made_counts():
    from metta_lit.rl.cooperation import mutual_information

    assert mutual_information(np.array([[2.0, 0.0], [0.0, 2.0]])) == pytest.approx(1.0)  # the vibe names the action
    assert mutual_information(np.array([[1.0, 1.0], [1.0, 1.0]])) == pytest.approx(0.0)  # independent
    assert mutual_information(np.array([[3.0, 1.0], [1.0, 3.0]])) == pytest.approx(
        1 - 0.8112781, abs=1e-6
    )  # 1 - H(1/4)
    assert mutual_information(np.zeros((2, 2))) is None
    keys = [
        ("signal", "up", "noop"),
        ("signal", "up", "move_east"),
        ("signal", "down", "noop"),
        ("signal", "down", "move_east"),
    ]
    out = cooperation_metrics(np.zeros(2), ["red", "red"], keys, np.zeros((2, 4)), np.array([2.0, 0.0, 0.0, 2.0]))
    assert out["coop/vibe_action_mi"] == pytest.approx(1.0)


def test_every_stat_the_metrics_read_is_keyed_by_the_native_env():
    """The typed keys of a real env's stats name what the metrics read (a rename of a stat's
    spelling leaves its key, so no metric goes silently empty)."""
    from metta_lit.env import MettaGridVecEnv

    env = MettaGridVecEnv(env_config("vibe_assembler"), num_envs=1)
    keys = dict(zip(env.stat_names, env.stat_keys, strict=True))
    assert keys["assembler.uses.agents_2"] == ("uses_by_agents", "assembler", "2")
    assert keys["assembler.uses.protocol_0"] == ("protocol_uses", "assembler", "0")
    assert keys["signal.up.move_north"] == ("signal", "up", "move_north")
    assert keys["action.change_vibe.success"] == ("action_success", "change_vibe", "")
    assert keys["vibe.calm.steps"] == ("vibe_steps", "calm", "")
    arena = MettaGridVecEnv(env_config("arena"), num_envs=1)
    arena_keys = dict(zip(arena.stat_names, arena.stat_keys, strict=True))
    assert arena_keys["steals.heart.from.agent"] == ("steals", "heart", "agent")
    assert arena_keys["action.attack.agent.hit.agent"] == ("hit", "agent", "agent")
