"""Vectorized stepping: determinism across threads, buffer checks, resets."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from conftest import make_game

from metta_lit import _mettagrid as native
from metta_lit.env import MettaGridVecEnv, env_config
from metta_lit.env.native_config import to_native


def rollout(threads: int, steps: int = 150, envs: int = 5) -> list[np.ndarray]:
    cfg = env_config("arena")
    cfg.game.max_steps = 60  # several resets inside the rollout
    env = MettaGridVecEnv(cfg, num_envs=envs, seed=123, num_threads=threads, desync_episodes=True)
    env.reset()
    rng = np.random.default_rng(0)
    out = [env.observations.copy()]
    for _ in range(steps):
        env.step(rng.integers(0, env.num_actions, size=(envs, env.num_agents)))
        out += [env.observations.copy(), env.rewards.copy(), env.terminals.copy(), env.truncations.copy()]
    return out


def test_same_seed_gives_identical_trajectories_for_any_thread_count():
    one = rollout(1)
    for threads in (2, 3):
        other = rollout(threads)
        assert all(np.array_equal(a, b) for a, b in zip(one, other, strict=True))


def test_different_seeds_differ():
    a = MettaGridVecEnv(env_config("arena"), num_envs=1, seed=1)
    b = MettaGridVecEnv(env_config("arena"), num_envs=1, seed=2)
    assert not np.array_equal(a.reset(), b.reset())


def test_desync_truncates_first_episodes_at_different_steps():
    cfg = env_config("navigation")
    env = MettaGridVecEnv(cfg, num_envs=8, seed=0, desync_episodes=True)
    env.reset()
    first_end = [None] * 8
    for t in range(1, cfg.game.max_steps + 1):
        env.step(np.zeros((8, env.num_agents), np.int64))
        for e in range(8):
            if first_end[e] is None and env.truncations[e].all():
                first_end[e] = t
                assert not env.terminals[e].any()
    assert all(1 <= t < cfg.game.max_steps for t in first_end)
    assert len(set(first_end)) > 1


def test_partial_reset_only_touches_masked_envs():
    env = MettaGridVecEnv(env_config("navigation"), num_envs=3, seed=0)
    env.reset()
    for _ in range(4):
        env.step(np.ones((3, 4), np.int32))
    env.reset(mask=np.array([False, True, False]))
    assert [env.current_step(e) for e in range(3)] == [4, 0, 4]
    with pytest.raises(TypeError, match="mask: expected dtype bool"):
        env.reset(mask=np.array([0, 1, 0]))


# --- buffer and action checks ----------------------------------------------------------------


def _native_env(num_envs=2):
    return native.VecEnv(to_native(make_game(["@."])), num_envs), num_envs


def _buffers(e, tokens=200):
    return [
        np.zeros((e, 1, tokens, 3), np.uint8),
        np.zeros((e, 1), np.float32),
        np.zeros((e, 1), bool),
        np.zeros((e, 1), bool),
        np.zeros((e, 1), bool),
        np.zeros((e, 1), bool),
    ]


def test_buffers_with_the_wrong_dtype_raise_type_error():
    env, e = _native_env()
    bufs = _buffers(e)
    bufs[1] = bufs[1].astype(np.float64)
    with pytest.raises(TypeError, match="rewards: expected dtype float32, got float64"):
        env.set_buffers(*bufs)


def test_buffers_with_the_wrong_shape_or_layout_raise_value_error():
    env, e = _native_env()
    bufs = _buffers(e, tokens=100)
    with pytest.raises(
        ValueError, match=r"obs: expected shape \(2, 200, 3\) or \(2, 1, 200, 3\), got \(2, 1, 100, 3\)"
    ):
        env.set_buffers(*bufs)
    bufs = _buffers(e)
    bufs[2] = np.zeros((1, 4), bool)[:, ::2]
    with pytest.raises(ValueError, match="terminals: array must be C-contiguous"):
        env.set_buffers(*bufs)
    bufs = _buffers(e)
    bufs[3].flags.writeable = False
    with pytest.raises(ValueError, match="truncations: array is read-only"):
        env.set_buffers(*bufs)


def test_a_buffer_that_is_no_array_gets_one_line_naming_it():
    env, e = _native_env()
    bufs = _buffers(e)
    with pytest.raises(TypeError, match=r"^obs: expected a numpy array, got list$"):
        env.set_buffers([1, 2, 3], *bufs[1:])
    with pytest.raises(TypeError, match=r"^action_success: expected a numpy array, got int$"):
        env.set_buffers(*bufs[:4], 4, bufs[5])
    env.set_buffers(*bufs)
    with pytest.raises(TypeError, match=r"^active: expected a numpy array, got tuple$"):
        env.set_buffers(*bufs[:5], ())
    with pytest.raises(TypeError, match=r"^mask: expected a numpy array, got list$"):
        env.reset([True] * e)


def test_step_before_set_buffers_is_refused():
    env, e = _native_env()
    with pytest.raises(ValueError, match=r"set_buffers\(\) must be called first"):
        env.step(np.zeros(e, np.int32))


def test_the_native_step_names_a_buffer_that_is_no_array():
    env, e = _native_env()
    for bad in ([0, 0], {"a": 1}, None):
        with pytest.raises(TypeError, match=r"actions: expected a numpy int32 array, got (list|dict|NoneType)$"):
            env.step(bad)


def test_bad_action_arrays():
    env = MettaGridVecEnv(make_game(["@."]), num_envs=2)
    env.reset()
    with pytest.raises(TypeError, match="actions: expected an integer dtype, got float32"):
        env.step(np.zeros((2, 1), np.float32))
    with pytest.raises(ValueError, match=r"actions: expected shape \(2,\) or \(2, 1\), got \(3,\)"):
        env.step(np.zeros(3, np.int32))
    env.step(np.zeros((2, 1), np.int32)[::1])  # views that are contiguous are fine
    env.step(np.zeros((1, 4), np.int16)[:, ::2].reshape(2, 1))  # other ints are converted
    assert env.current_step(0) == 2


def test_env_index_is_checked():
    env = MettaGridVecEnv(make_game(["@."]), num_envs=2)
    with pytest.raises(IndexError, match=r"env index 2 out of range \[0, 2\)"):
        env.episode_stats(2)


def test_step_before_the_first_reset_is_an_error():
    env = MettaGridVecEnv(make_game(["@."]), num_envs=2)
    with pytest.raises(RuntimeError, match=r"step\(\) before reset\(\)"):
        env.step(np.zeros((2, 1), dtype=np.int32))
    env.reset()
    env.step(np.zeros((2, 1), dtype=np.int32))
    assert env.current_step(0) == 1


def test_action_args_come_from_the_native_catalog():
    env = MettaGridVecEnv(env_config("arena"))
    names = env.action_names
    assert list(zip(names, env.action_args, strict=True))[:7] == [
        ("noop", 0),
        ("move_north", 0),
        ("move_south", 1),
        ("move_west", 2),
        ("move_east", 3),
        ("put_items", 0),
        ("get_items", 0),
    ]
    assert env.action_args[7:] == list(range(9))  # attack_0..attack_8


def test_grid_objects_and_stats_cross_as_typed_records(driver):
    d = driver(["#####", "#@.m#", "#_.@#", "#####"])
    d.give(0, "ore_red", 3)
    d.step("move_east", "noop")  # agent 0 moves next to the mine
    objects = d.env.grid_object_records()
    rec = objects.records
    assert (
        rec.dtype["r"] == np.int32 and rec.dtype["is_frozen"] == np.bool_ and rec.dtype["episode_reward"] == np.float32
    )
    assert objects.inventory.shape == (len(rec), len(d.env.resource_names)) and objects.inventory.dtype == np.uint8
    agents = objects.agents
    assert rec["agent_id"][agents].tolist() == [0, 1] and (rec["type_id"][agents] == 0).all()
    assert (rec["r"][agents[0]], rec["c"][agents[0]]) == (1, 2)
    ore = d.env.resource_names.index("ore_red")
    assert objects.inventory[agents[0], ore] == 3
    walls = rec["object_index"] == list(d.env.config.game.objects).index("wall")
    assert walls.sum() == 14 and (rec["agent_id"][walls] == -1).all() and not objects.inventory[walls].any()
    # The dict view is built from the same records.
    view = {o["id"]: o for o in d.env.grid_objects()}
    assert view[int(rec["id"][agents[0]])]["inventory"] == {ore: 3}
    assert view[int(rec["id"][agents[0]])]["orientation_name"] == "east"
    stats = d.env.episode_stat_arrays()
    names = d.env.stat_names
    assert stats.agent.shape == (2, len(names)) and stats.game.shape == (len(names),)
    assert stats.agent[0, names.index("action.move.success")] == 1.0
    assert d.env.episode_stats()["agent"][0]["action.move.success"] == 1.0


def stepped(config_name: str, steps: int, seed: int = 7, envs: int = 3) -> MettaGridVecEnv:
    cfg = env_config(config_name)
    cfg.game.max_steps = 40  # resets happen inside the runs below
    env = MettaGridVecEnv(cfg, num_envs=envs, seed=seed, desync_episodes=True)
    env.reset()
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        env.step(rng.integers(0, env.num_actions, size=(envs, env.num_agents)))
    return env


def outputs(env: MettaGridVecEnv) -> list[np.ndarray]:
    return [b.copy() for b in (env.observations, env.rewards, env.terminals, env.truncations, env.action_success)]


@pytest.mark.parametrize("config_name", ["arena", "coop_assembler", "commons"])
def test_a_saved_state_continues_exactly_in_another_env(config_name):
    """Mid-episode (step 25 of 40, with converters cooling down, chests and assemblers in use),
    the state moves into an env built with another seed, and both play the next 100 steps
    (through resets) identically: episode, random streams and last outputs all travel."""
    source = stepped(config_name, 25)
    target = stepped(config_name, 3, seed=99)
    for e in range(source.num_envs):
        target.load_state(e, source.save_state(e))
    for a, b in zip(outputs(source), outputs(target), strict=True):
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(1)
    for t in range(100):
        actions = rng.integers(0, source.num_actions, size=(source.num_envs, source.num_agents))
        source.step(actions)
        target.step(actions)
        for a, b in zip(outputs(source), outputs(target), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"step {t}")
    for e in range(source.num_envs):
        assert source.episode_stats(e) == target.episode_stats(e)
        assert source.grid_objects(e) == target.grid_objects(e)


def test_a_malformed_or_foreign_state_is_refused_and_changes_nothing():
    env = stepped("arena", 10)
    good = env.save_state(0)
    before, objects = outputs(env), env.grid_objects(0)
    foreign = stepped("navigation", 5).save_state(0)
    corrupt = bytearray(good)
    corrupt[-1] = 7  # a done flag that is neither true nor false
    cases = {
        b"": "ends early",
        good[:-1]: "ends early",
        good + b"\0": "bytes after its end",
        b"XXXX" + good[4:]: "does not start like one",
        foreign: "another build of the engine or for another game",
        bytes(corrupt): "neither true nor false",
    }
    for state, why in cases.items():
        with pytest.raises(ValueError, match=why):
            env.load_state(0, state)
    with pytest.raises(TypeError, match="expected bytes"):
        env.load_state(0, "not bytes")
    with pytest.raises(IndexError):
        env.load_state(5, good)
    for a, b in zip(before, outputs(env), strict=True):
        np.testing.assert_array_equal(a, b)
    assert env.grid_objects(0) == objects


def test_a_state_whose_indices_point_outside_the_game_is_refused():
    """Counts and indices the engine trusts while stepping are checked: an agent moved off the
    map (its row set to 60000) is refused before anything changes."""
    env = stepped("arena", 10)
    good = bytearray(env.save_state(0))
    # Agent 0's record in the saved objects table: uint16 r, uint16 c, layer 0 (agents),
    # is_agent 1, int16 cfg -1, int32 sub 0 (its agent index), little-endian.
    agent = next(o for o in env.grid_objects(0) if o["type_name"] == "agent" and o["agent_id"] == 0)
    record = struct.pack("<HHBBhi", agent["r"], agent["c"], 0, 1, -1, 0)
    at = good.find(record)
    assert at > 0 and good.find(record, at + 1) == -1
    good[at : at + 2] = struct.pack("<H", 60000)
    with pytest.raises(ValueError, match="outside the map"):
        env.load_state(0, bytes(good))
