"""Exact game rules on tiny hand-made maps (spec sections 1.2-1.9)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

# --- converters -----------------------------------------------------------------------------


def test_mine_yields_first_ore_at_step_1_then_every_51_steps_up_to_5(driver):
    d = driver(["@m"])
    changes, last = [], 0
    for t in range(1, 300):
        d.step()
        ore = d.inv(d.obj("mine_red")).get("ore_red", 0)
        if ore != last:
            changes.append((t, ore))
            last = ore
    assert changes == [(1, 1), (52, 2), (103, 3), (154, 4), (205, 5)]
    # Full at max_output: idle until emptied; emptying restarts it at once (ore next step).
    d.step("move_east")  # turns toward the mine (the move itself fails)
    d.step("get_items")
    assert d.inv(d.agent())["ore_red"] == 5 and d.inv(d.obj("mine_red")) == {}
    assert d.obj("mine_red")["is_converting"]
    d.step()
    assert d.inv(d.obj("mine_red")) == {"ore_red": 1}


def test_generator_converts_one_ore_per_cycle_with_cooldown_25(driver):
    d = driver(["@n"])
    d.give(0, "ore_red", 2)
    d.step("move_east")  # step 1
    d.step("put_items")  # step 2: one ore in (recipe amount), conversion finishes at step 3
    assert d.inv(d.agent())["ore_red"] == 1
    assert d.obj("generator_red")["is_converting"]
    d.step("put_items")  # step 3: battery done; second ore waits for the cooldown (until 28)
    gen = d.obj("generator_red")
    assert d.inv(gen) == {"battery_red": 1, "ore_red": 1} and gen["is_cooling_down"]
    batteries = {}
    for t in range(4, 31):
        d.step()
        batteries[t] = d.inv(d.obj("generator_red")).get("battery_red", 0)
    assert batteries[28] == 1 and batteries[29] == 2 and batteries[30] == 2


def test_altar_turns_three_batteries_into_a_heart_with_cooldown_10(driver):
    d = driver(["@_"], agent={"rewards": {"inventory": {"heart": 1}}})
    d.give(0, "battery_red", 6)
    assert d.step("move_east")[0] == 0  # step 1
    d.step("put_items")  # step 2: 3 batteries in, heart at step 3
    assert d.inv(d.agent()) == {"battery_red": 3}
    assert d.step("get_items")[0] == pytest.approx(1.0)  # step 3: heart taken -> +1
    d.step("put_items")  # step 4: inputs wait for the cooldown that ends at step 13
    for _ in range(5, 14):
        d.step()
    assert d.inv(d.obj("altar")) == {}
    d.step()  # step 14
    assert d.inv(d.obj("altar")) == {"heart": 1}
    stats = d.stats()
    assert stats["battery_red.put"] == 6 and stats["heart.get"] == 1 and stats["heart.gained"] == 1


def test_put_and_get_fail_without_a_converter_or_items(driver):
    d = driver(["@#m"], objects={"wall": {}, "mine_red": {"initial_resource_count": 0}})
    d.step("move_east")
    assert not d.env.action_success[0, 0]  # blocked move turns but fails
    d.step("put_items")  # facing a wall
    d.step("get_items")  # facing a wall
    assert d.stats()["action.put_items.failed"] == 1 and d.stats()["action.get_items.failed"] == 1
    d2 = driver(["@n"])
    d2.step("move_east")
    d2.step("put_items")  # no ore to put
    d2.step("get_items")  # nothing produced yet
    assert d2.stats()["action.put_items.failed"] == 1 and d2.stats()["action.get_items.failed"] == 1


def test_get_items_respects_inventory_limits(driver):
    d = driver(["@m"], agent={"resource_limits": {"ore_red": 2}}, objects={"mine_red": {"initial_resource_count": 4}})
    d.step("move_east")  # step 1: the mine (4 ore, below max_output 5) made a fifth
    d.step("get_items")
    assert d.inv(d.agent()) == {"ore_red": 2}
    assert d.inv(d.obj("mine_red")) == {"ore_red": 3}
    assert d.stats()["ore_red.get"] == 2


def test_shared_limit_caps_the_sum_of_its_resources(driver):
    d = driver(
        ["@"], objects={"wall": {}}, agent={"shared_limits": [{"resources": ["ore_red", "battery_red"], "limit": 5}]}
    )
    d.give(0, "ore_red", 4)
    d.give(0, "battery_red", 4)
    assert d.inv(d.agent()) == {"ore_red": 4, "battery_red": 1}


# --- movement -------------------------------------------------------------------------------


def test_move_turns_even_when_blocked(driver):
    d = driver(["@.#"])
    d.step("move_east")
    a = d.agent()
    assert (a["r"], a["c"], a["orientation_name"]) == (0, 1, "east")
    d.step("move_east")  # wall
    a = d.agent()
    assert (a["c"], a["orientation_name"]) == (1, "east") and not d.env.action_success[0, 0]
    d.step("move_north")  # off the map
    a = d.agent()
    assert (a["r"], a["c"], a["orientation_name"]) == (0, 1, "north")
    assert d.stats()["action.move.success"] == 1 and d.stats()["action.move.failed"] == 2


def test_moving_into_an_agent_shares_half_of_shareable_resources(driver):
    d = driver(["@@"], agent={"shareable_resources": ["heart"]})
    d.give(0, "heart", 5)
    d.give(0, "ore_red", 4)
    d.step("move_east")
    assert d.env.action_success[0, 0]
    assert d.inv(d.agent(0)) == {"heart": 3, "ore_red": 4}
    assert d.inv(d.agent(1)) == {"heart": 2}
    assert d.stats(0)["heart.shared"] == 2 and d.stats(1)["heart.received"] == 2
    assert "ore_red.shared" not in d.env.stat_names  # only what some group may share is counted


def test_rotate_sets_orientation(driver):
    d = driver(["@"], objects={"wall": {}})
    d.step("rotate_west")
    assert d.agent()["orientation_name"] == "west" and d.env.action_success[0, 0]


# --- attack, freeze, steal, armor ------------------------------------------------------------


def _attack_setup(driver, target_items):
    d = driver(["@@."], agent={"rewards": {"inventory": {"heart": 1}}, "action_failure_penalty": 0.5})
    d.give(0, "laser", 2)
    for res, qty in target_items.items():
        d.give(1, res, qty)
    d.step("rotate_east", "noop")  # step 1 (initial inventory changes pay their reward here)
    return d


def test_attack_freezes_target_and_steals_its_inventory(driver):
    d = _attack_setup(driver, {"heart": 2, "ore_red": 3})
    rewards = d.step("attack_0", "move_east")  # attack resolves before the target's move
    assert rewards.tolist() == [pytest.approx(2.0), pytest.approx(-2.0)]
    assert d.inv(d.agent(0)) == {"heart": 2, "ore_red": 3, "laser": 1}
    assert d.inv(d.agent(1)) == {}
    target = d.agent(1)
    assert target["is_frozen"] and target["c"] == 1
    s0, s1 = d.stats(0), d.stats(1)
    assert s0["action.attack.agent.hit.agent"] == 1 and s0["action.attack.friendly_fire"] == 1
    assert s0["steals.heart.from.agent"] == 2 and s0["steals.ore_red.from.agent"] == 3
    assert s1["action.attack.agent.hit_by.agent"] == 1 and s1["heart.lost"] == 2
    # The hit agent's own attempt this step already counted as a frozen tick.
    success = [bool(d.env.action_success[0, 1])]
    penalties = [float(d.env.rewards[0, 1])]
    for _ in range(10):
        d.step(None, "move_east")
        success.append(bool(d.env.action_success[0, 1]))
        penalties.append(float(d.env.rewards[0, 1]))
    assert success == [False] * 10 + [True]  # frozen for exactly 10 action attempts
    assert penalties[1:] == [0.0] * 10  # frozen attempts carry no failure penalty
    assert d.stats(1)["status.frozen.ticks"] == 10
    assert "action.move.failed" not in d.stats(1)


def test_armor_blocks_an_attack_and_is_consumed(driver):
    d = _attack_setup(driver, {"armor": 1, "heart": 1})
    d.step("attack_0")
    assert d.env.action_success[0, 0]  # blocked attacks still succeed, so the laser is spent
    assert d.inv(d.agent(0)) == {"laser": 1}
    assert d.inv(d.agent(1)) == {"heart": 1}
    assert not d.agent(1)["is_frozen"]
    assert d.stats(0)["action.attack.blocked_by.agent"] == 1


def test_attack_without_target_fails_and_costs_nothing(driver):
    d = _attack_setup(driver, {})
    d.step("rotate_west")
    d.step("attack_0")
    assert not d.env.action_success[0, 0]
    assert d.inv(d.agent(0)) == {"laser": 2}
    assert d.stats(0)["action.attack.failed"] == 1
    assert d.env.rewards[0, 0] == pytest.approx(-0.5)


def test_attack_without_laser_fails(driver):
    d = _attack_setup(driver, {})
    d.give(0, "laser", 0)
    d.step("attack_0")
    assert not d.agent(1)["is_frozen"] and d.stats(0)["action.attack.failed"] == 1


@pytest.mark.parametrize("arg,expected", [(0, 2), (1, 3), (2, 0), (3, 1), (8, 1)])
def test_attack_arg_picks_the_kth_agent_in_scan_order(driver, arg, expected):
    # Attacker 4 faces north. Scan: distance 1 (centre, left, right), then 2, then 3; an arg
    # past the number found hits the last one found.
    rows = [
        "@.@",  # agents 0 (distance 3, left) and 1 (distance 3, right)
        "...",
        "@.@",  # agents 2 (distance 1, left) and 3 (distance 1, right)
        ".@.",
    ]  # agent 4: attacker
    d = driver(rows)
    d.give(4, "laser", 1)
    d.step(None, None, None, None, f"attack_{arg}")
    frozen = [d.agent(i)["is_frozen"] for i in range(4)]
    assert frozen == [i == expected for i in range(4)]


def test_attack_scan_turns_with_the_attacker(driver):
    # Facing east, "left" is north: of the two agents diagonally ahead, the northern one is
    # found first.
    d = driver([".@.", "@..", ".@."])
    d.give(1, "laser", 1)
    d.step(None, "rotate_east")
    d.step(None, "attack_0")
    assert [d.agent(i)["is_frozen"] for i in (0, 2)] == [True, False]


def test_attacking_a_frozen_agent_is_wasted(driver):
    d = _attack_setup(driver, {"heart": 1})
    d.step("attack_0")
    d.step("attack_0")
    assert d.stats(0)["action.attack.wasted_on_frozen"] == 1
    assert d.agent(1)["freeze_remaining"] == 9  # re-frozen to 10, then its own attempt ticked


# --- swap -------------------------------------------------------------------------------------


def test_swap_moves_a_block(driver):
    d = driver(["@s."])
    d.step("rotate_east")
    d.step("swap")
    block = d.obj("block")
    assert (d.agent()["c"], block["c"]) == (1, 0) and d.env.action_success[0, 0]


def test_swap_with_an_agent_only_while_it_is_frozen(driver):
    d = driver(["@@"])
    d.give(0, "laser", 1)
    d.step("rotate_east")
    d.step("swap")
    assert not d.env.action_success[0, 0]
    d.step("attack_0")
    d.step("swap")
    assert d.env.action_success[0, 0]
    assert (d.agent(0)["c"], d.agent(1)["c"]) == (1, 0)


# --- color and glyph --------------------------------------------------------------------------


def test_change_color_wraps_and_change_glyph_sets_the_glyph(driver):
    d = driver(["@"], objects={"wall": {}})
    d.step("change_color_1")
    assert d.agent()["color"] == 255
    d.step("change_color_2")
    assert d.agent()["color"] == 62
    d.step("change_glyph_3")
    assert d.agent()["glyph"] == 3
    tokens = [tuple(t) for t in d.env.observations[0, 0] if t[0] != 0xFF]
    assert (0x55, 11, 3) in tokens  # agent:glyph token appears once it is non-zero


# --- rewards ----------------------------------------------------------------------------------


def test_reward_caps_apply_to_the_reward_value_and_losses_are_negative(driver):
    # Hearts change hands by play: moving into an agent hands it half of a shareable resource.
    rewards = {"inventory": {"heart": 1.0}, "inventory_max": {"heart": 2.0}}
    agent = {"shareable_resources": ["heart"], "initial_inventory": {"heart": 2}, "rewards": rewards}
    d = driver(["@@"], objects={"wall": {}}, agent=agent)
    assert d.step("move_east").tolist() == [-1.0, 0.0]  # 2 -> 1 hearts; 2 -> 3, capped at 2
    assert d.step(None, "move_west").tolist() == [1.0, 0.0]  # 1 -> 2; 3 -> 2, still the cap
    assert d.env.episode_rewards(0).tolist() == [0.0, 0.0]


def test_setting_an_inventory_is_not_play(driver):
    d = driver(["@"], objects={"wall": {}}, agent={"rewards": {"inventory": {"heart": 1.0}}})
    d.give(0, "heart", 3)
    assert d.step().tolist() == [0.0]  # not rewarded on the next step
    assert d.inv(d.agent()) == {"heart": 3} and "heart.gained" not in d.stats()
    assert d.stats()["heart.amount"] == 3


def test_stat_rewards_count_any_stat(driver):
    d = driver(
        ["@."],
        objects={"wall": {}},
        agent={"rewards": {"stats": {"action.move.success": 0.1}, "stats_max": {"action.move.success": 0.15}}},
    )
    got = [float(d.step("move_east")[0]), float(d.step("move_west")[0]), float(d.step("move_east")[0])]
    assert got == pytest.approx([0.1, 0.05, 0.0])


def test_group_reward_sharing(driver):
    # Agents 0 (red) and 2 (blue) each take the heart of the altar beside them; agent 1 (red) none.
    groups = {"red": {"id": 0, "group_reward_pct": 0.5}, "blue": {"id": 1}}
    altar = {"input_resources": {}, "initial_resource_count": 1, "max_output": 1}
    d = driver(
        ["_@@1_"], groups=groups, objects={"wall": {}, "altar": altar}, agent={"rewards": {"inventory": {"heart": 1}}}
    )
    assert [d.agent(i)["group_name"] for i in range(3)] == ["red", "red", "blue"]
    d.step("move_west", None, "move_east")  # blocked by the altars: the agents turn to face them
    assert d.step("get_items", None, "get_items").tolist() == pytest.approx([0.75, 0.25, 1.0])


def sharing_step(driver, groups: dict, sharing: dict) -> list[float]:
    """Agents 0, 1 (red) and 2 (blue); 0 and 2 each take a heart worth 1: the shared rewards."""
    altar = {"input_resources": {}, "initial_resource_count": 1, "max_output": 1}
    d = driver(
        ["_@@1_"],
        groups=groups,
        reward_sharing=sharing,
        objects={"wall": {}, "altar": altar},
        agent={"rewards": {"inventory": {"heart": 1}}},
    )
    d.step("move_west", None, "move_east")
    return d.step("get_items", None, "get_items").tolist()


def test_reward_sharing_between_groups_follows_the_matrix_and_conserves_reward(driver):
    teams = {"red": {"id": 0}, "blue": {"id": 1}}
    # Blue receives half of red's reward (its one member gets 0.5); red a quarter of blue's,
    # split between its two members (0.125 each); each source keeps the rest.
    got = sharing_step(driver, teams, {"blue": {"red": 0.5}, "red": {"blue": 0.25}})
    assert got == pytest.approx([1 * 0.5 + 0.125, 0.125, 1 * 0.75 + 0.5])
    assert sum(got) == pytest.approx(2.0)
    # Everything pooled across both teams: each agent gets a third of the total.
    everyone = {g: {"red": 2 / 3 if g == "red" else 1 / 3, "blue": 2 / 3 if g == "red" else 1 / 3} for g in teams}
    assert sharing_step(driver, teams, everyone) == pytest.approx([2 / 3] * 3)


def test_a_groups_reward_pct_is_the_diagonal_of_the_sharing_matrix(driver):
    pct = sharing_step(driver, {"red": {"id": 0, "group_reward_pct": 0.5}, "blue": {"id": 1}}, {})
    matrix = sharing_step(driver, {"red": {"id": 0}, "blue": {"id": 1}}, {"red": {"red": 0.5}})
    assert pct == matrix == pytest.approx([0.75, 0.25, 1.0])


@pytest.mark.parametrize(
    ("groups", "sharing", "message"),
    [
        ({"red": {"id": 0}, "blue": {"id": 1}}, {"blue": {"red": 0.7}, "red": {"red": 0.5}}, "1.2 of group 'red'"),
        ({"red": {"id": 0}, "blue": {"id": 1}}, {"green": {"red": 0.5}}, "no group 'green'"),
        ({"red": {"id": 0}, "blue": {"id": 1}}, {"red": {"green": 0.5}}, "no group 'green'"),
        ({"red": {"id": 0, "group_reward_pct": 0.2}, "blue": {"id": 1}}, {"red": {"red": 0.5}}, "keep one"),
        ({"red": {"id": 0}, "blue": {"id": 1}}, {"red": {"blue": 1.5}}, "less than or equal to 1"),
    ],
)
def test_reward_sharing_that_gives_away_more_than_all_or_names_no_group_is_refused(driver, groups, sharing, message):
    with pytest.raises(ValidationError, match=message):
        driver(["@@1"], groups=groups, reward_sharing=sharing, objects={"wall": {}})


def test_invalid_action_ids_fail_with_penalty_and_never_crash(driver):
    d = driver(["@."], agent={"action_failure_penalty": 0.25})
    actions = [-1, 999, 2**31 - 1]
    for a in actions:
        d.env.step([[a]])
        assert d.env.rewards[0, 0] == pytest.approx(-0.25) and not d.env.action_success[0, 0]
    d.env.step([[10**12]])  # int64 beyond int32 is clipped to a still-invalid id
    s = d.stats()
    assert s["action.invalid_type"] == 4 and s["action.failure_penalty"] == pytest.approx(1.0)
    assert (0x55, 8, 255) in [tuple(t) for t in d.env.observations[0, 0]]


def test_failed_action_penalty(driver):
    d = driver(["@#"], agent={"action_failure_penalty": 0.25})
    assert d.step("move_east")[0] == pytest.approx(-0.25)
    assert d.step("noop")[0] == 0.0


def test_fractional_costs_use_stochastic_rounding_and_require_ceil(driver):
    d = driver(["@"], objects={"wall": {}}, actions={"noop": True, "rotate": {"consumed_resources": {"ore_red": 0.5}}})
    d.step("rotate_east")
    assert not d.env.action_success[0, 0]  # required defaults to ceil(0.5) = 1
    d.give(0, "ore_red", 255)
    for _ in range(200):
        d.step("rotate_east")
    spent = 255 - d.inv(d.agent())["ore_red"]
    assert 70 <= spent <= 130  # Binomial(200, 0.5): mean 100, sd 7


def test_resource_loss_and_regeneration():
    from conftest import make_game

    from metta_lit.env import MettaGridVecEnv

    env = MettaGridVecEnv(
        make_game(
            ["@"], objects={"wall": {}}, inventory_regen_interval=3, agent={"inventory_regen_amounts": {"ore_red": 2}}
        )
    )
    env.reset()
    held = []
    for _ in range(6):
        env.step([[0]])
        held.append(env.grid_objects()[0]["inventory"].get(0, 0))
    assert held == [0, 0, 2, 2, 2, 4]
    env = MettaGridVecEnv(make_game(["@"], objects={"wall": {}}, resource_loss_prob=1.0))
    env.reset()
    env.set_inventory(0, 0, "heart", 7)
    env.step([[0]])
    assert env.grid_objects()[0]["inventory"] == {}


# --- episode end ------------------------------------------------------------------------------


@pytest.mark.parametrize("truncates", [False, True])
def test_max_steps_ends_the_episode_and_the_next_step_resets(driver, truncates):
    d = driver(["@."], max_steps=5, episode_truncates=truncates)
    for t in range(1, 6):
        d.step("move_east" if t == 1 else None)
        ended = t == 5
        assert d.env.terminals[0].tolist() == [ended and not truncates]
        assert d.env.truncations[0].tolist() == [ended and truncates]
    assert d.env.current_step() == 5
    assert (0x55, 7, 255) in [tuple(t) for t in d.env.observations[0, 0]]  # completion 100%
    d.step("move_east")  # ignored: this step resets the env
    assert d.env.current_step() == 0 and d.agent()["c"] == 0
    assert not d.env.terminals.any() and d.env.rewards[0, 0] == 0


def test_agents_can_start_with_their_own_inventory(driver):
    agent = {
        "initial_inventory": {"ore_red": 1},
        "resource_limits": {"heart": 4},
        "rewards": {"inventory": {"heart": 1}},
    }
    own = {1: {"heart": 3, "ore_red": 0}, 2: {"heart": 4}}
    d = driver(["@@@"], objects={"wall": {}}, agent=agent, agent_initial_inventory=own)
    expected = [{"ore_red": 1}, {"heart": 3}, {"ore_red": 1, "heart": 4}]
    assert [d.inv(d.agent(i)) for i in range(3)] == expected
    assert d.step().tolist() == [0.0, 0.0, 0.0]  # an initial inventory is not rewarded
    d.env.reset()
    assert [d.inv(d.agent(i)) for i in range(3)] == expected  # every episode starts from it
    with pytest.raises(ValidationError, match=r"agent_initial_inventory.2.heart: 9 exceeds its resource limit 4"):
        driver(["@@@"], objects={"wall": {}}, agent=agent, agent_initial_inventory={2: {"heart": 9}})
    with pytest.raises(ValidationError, match=r"agent_initial_inventory.5: no agent 5 \(agents are 0..2\)"):
        driver(["@@@"], objects={"wall": {}}, agent=agent, agent_initial_inventory={5: {"heart": 1}})
