"""Vibes and protocols: an agent shows a named vibe (change_vibe_<name>) that agents within view
observe, and an assembler with protocols chooses what it makes by the vibes of the agents
around it (the most specific protocol: exactly the vibes shown, then the most agents), sharing
a multi-vibe protocol's outputs among the agents that showed them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from metta_lit.env import GameConfig

VIBES = ["calm", "up", "down", "left"]
ACTIONS = {"noop": True, "move": True, "change_vibe": True}


def game(objects: dict, **overrides) -> dict:
    return {"vibe_names": VIBES, "actions": ACTIONS, "objects": {"wall": {}, **objects}, **overrides}


def assembler(*protocols: dict, **fields) -> dict:
    return {"assembler": {"type": "assembler", "type_id": 21, "map_char": "A", "protocols": list(protocols), **fields}}


def test_change_vibe_names_one_action_per_vibe_and_the_vibe_is_observed_and_counted(driver):
    d = driver(["@.@"], **game({}), obs_width=3, obs_height=3)
    assert [n for n in d.env.action_names if n.startswith("change_vibe")] == [f"change_vibe_{v}" for v in VIBES]
    d.step("change_vibe_down", None)
    assert d.agent(0)["glyph"] == 2 and d.env.action_success[0, 0]
    # The other agent, two cells east, sees it in its window (3x3: no); with a 5x5 window it does.
    d5 = driver(["@.@"], **game({}), obs_width=5, obs_height=5)
    d5.step("change_vibe_left", None)
    glyph = d5.env.feature_spec["agent:glyph"]["id"]
    west_two = (2 << 4) | 0  # row 2, column 0 of agent 1's 5x5 window
    seen = [int(t[2]) for t in d5.env.observations[0, 1] if t[0] == west_two and t[1] == glyph]
    assert seen == [3]
    d5.step(None, None)
    d5.step("change_vibe_calm", None)
    stats = d5.stats(0)
    # Steps ended in each vibe: left for 2 steps, then calm; the other agent always calm.
    assert stats["vibe.left.steps"] == 2 and stats["vibe.calm.steps"] == 1
    assert stats["action.change_vibe.success"] == 2
    assert d5.stats(1)["vibe.calm.steps"] == 3 and "vibe.up.steps" not in d5.stats(1)


UP_DOWN = {"min_agents": 2, "vibes": ["up", "down"], "output_resources": {"heart": 4}}


def test_a_two_vibe_protocol_needs_both_vibes_shown_and_shares_its_outputs(driver):
    d = driver(["@A@"], **game(assembler(UP_DOWN)))
    d.step(None, "move_west")  # both beside it, both calm: no protocol
    assert not d.env.action_success[0, 1]
    d.step("change_vibe_up", "change_vibe_up")
    d.step(None, "move_west")  # up + up is not up + down
    assert not d.env.action_success[0, 1]
    d.step(None, "change_vibe_down")
    d.step(None, "move_west")
    assert d.env.action_success[0, 1]
    # Four hearts shared in turn between the two agents that showed the vibes.
    assert d.inv(d.agent(0)) == {"heart": 2} and d.inv(d.agent(1)) == {"heart": 2}
    stats = d.env.episode_stats()["game"]
    assert stats["assembler.uses.protocol_0"] == 1 and stats["assembler.uses"] == 1


def test_odd_units_go_to_the_earlier_side_and_a_full_agent_passes_its_share_on(driver):
    protocol = {**UP_DOWN, "output_resources": {"heart": 5}}
    d = driver(["@A@"], **game(assembler(protocol), agent={"resource_limits": {"heart": 2}}))
    d.step("change_vibe_up", "change_vibe_down")
    d.step(None, "move_west")
    # In turn west (NW..SE order) then east: 1, 1, then the west agent is full at 2, the east
    # agent takes the rest up to its own limit; the fifth unit has nowhere to go.
    assert d.inv(d.agent(0)) == {"heart": 2} and d.inv(d.agent(1)) == {"heart": 2}
    d2 = driver(["@A@"], **game(assembler({**UP_DOWN, "output_resources": {"heart": 3}})))
    d2.step("change_vibe_up", "change_vibe_down")
    d2.step(None, "move_west")
    assert d2.inv(d2.agent(0)) == {"heart": 2} and d2.inv(d2.agent(1)) == {"heart": 1}


def test_the_most_specific_protocol_fires(driver):
    plain = {"min_agents": 1, "output_resources": {"ore_red": 1}}
    pair = {"min_agents": 2, "output_resources": {"ore_blue": 1}}
    up = {"min_agents": 1, "vibes": ["up"], "output_resources": {"battery_red": 1}}
    objects = assembler(plain, pair, up)
    # Alone and calm: the vibe-less protocol for one agent.
    d = driver(["@A."], **game(objects))
    d.step("move_east")
    assert d.inv(d.agent(0)) == {"ore_red": 1}
    # Two calm agents: both vibe-less protocols fit; the one needing more agents wins.
    d = driver(["@A@"], **game(objects))
    d.step("move_east", None)
    assert d.inv(d.agent(0)) == {"ore_blue": 1}
    # One agent showing up (with another calm beside it): the exact vibe match wins over
    # the vibe-less protocols, and its single-vibe output goes to the user.
    d = driver(["@A@"], **game(objects))
    d.step(None, "change_vibe_up")
    d.step("move_east", None)
    assert d.inv(d.agent(0)) == {"battery_red": 1} and d.inv(d.agent(1)) == {}
    # Showing a vibe no protocol asks for falls back to the vibe-less ones.
    d = driver(["@A."], **game(objects))
    d.step("change_vibe_left")
    d.step("move_east")
    assert d.inv(d.agent(0)) == {"ore_red": 1}


def test_protocols_pool_inputs_and_keep_cooldowns(driver):
    protocol = {"min_agents": 1, "input_resources": {"battery_red": 3}, "output_resources": {"heart": 1}, "cooldown": 2}
    d = driver(["@A@"], **game(assembler(protocol)))
    d.give(0, "battery_red", 1)
    d.give(1, "battery_red", 2)
    d.step("move_east", None)
    assert d.inv(d.agent(0)) == {"heart": 1} and d.inv(d.agent(1)) == {}
    d.give(0, "battery_red", 3)
    d.step("move_east", None)  # cooling down (2 steps)
    assert not d.env.action_success[0, 0]
    d.step("move_east", None)
    assert d.env.action_success[0, 0] and d.inv(d.agent(0)) == {"heart": 2}


def test_the_position_recipes_keep_working_beside_vibes(driver):
    recipe = {"positions": ["Any", "Any"], "output_resources": {"heart": 1}}
    objects = {"assembler": {"type": "assembler", "type_id": 21, "map_char": "A", "recipes": [recipe]}}
    d = driver(["@A@"], **game(objects))
    d.step("change_vibe_up", None)
    d.step("move_east", None)
    assert d.inv(d.agent(0)) == {"heart": 1} and d.inv(d.agent(1)) == {}


BASE = {"num_agents": 1, "map_builder": {"type": "ascii", "map_data": ["@A"]}}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"objects": assembler({"min_agents": 9})}, "9 agents cannot stand around an assembler: it has 8 sides"),
        ({"vibe_names": ["calm", "up", "up"]}, "vibe_names: up named twice"),
        ({"objects": assembler({"vibes": ["sideways"]})}, "unknown vibe 'sideways' (vibes: calm, up, down, left)"),
        ({"objects": assembler({"vibes": ["calm"]})}, "'calm' is every agent's starting vibe"),
        ({"objects": assembler({"vibes": ["up"]}, {"vibes": ["up"]})}, "protocols.1: protocols.0 already needs"),
        (
            {"actions": {**ACTIONS, "change_glyph": True}},
            "change_vibe and change_glyph both set the agent's vibe; enable one",
        ),
        ({"vibe_names": ["calm"]}, "change_vibe: needs at least two vibe_names"),
        ({"vibe_names": ["Up!"]}, "vibe_names.0"),
        (
            {
                "objects": {
                    "assembler": {"type": "assembler", "type_id": 21, "recipes": [{"positions": ["N"]}]}
                    | {"protocols": [{}]}
                }
            },
            "give either recipes (chosen by where agents stand) or protocols (chosen by vibes)",
        ),
        ({"objects": assembler({"output_resources": {"gold": 1}})}, "unknown resource 'gold'"),
        (
            {"actions": {**ACTIONS, "transfer": {"vibe_transfers": {"up": {"gold": 1}}}}},
            "actions.transfer.vibe_transfers.up: unknown resource 'gold'",
        ),
        (
            {"actions": {**ACTIONS, "transfer": {"vibe_transfers": {"sideways": {"heart": 1}}}}},
            "actions.transfer.vibe_transfers.sideways: unknown vibe 'sideways'",
        ),
        ({"actions": {**ACTIONS, "transfer": True}}, "actions.transfer: vibe_transfers names no vibe"),
        (
            {"objects": {"chest": {"vibe_deltas": {"sideways": 1}}}},
            "objects.chest.vibe_deltas: unknown vibe 'sideways'",
        ),
    ],
)
def test_bad_vibe_and_protocol_configs_are_refused_with_one_line(overrides, message):
    data = {**BASE, **game(assembler({"min_agents": 1})), **overrides}
    if "objects" in overrides:
        data["objects"] = {"wall": {}, **overrides["objects"]}
    with pytest.raises(ValidationError) as info:
        GameConfig.model_validate(data)
    assert message in str(info.value)


GIVE = {
    "vibe_names": ["calm", "give"],
    "actions": {
        "noop": True,
        "move": True,
        "change_vibe": True,
        "transfer": {"vibe_transfers": {"give": {"heart": 2}}},
    },
    "agent": {"shareable_resources": ["ore_red"]},
}


def test_a_vibe_transfer_moves_its_amounts_all_or_nothing_and_counts_as_shared(driver):
    d = driver(["@@"], **GIVE, objects={"wall": {}})
    d.give(0, "heart", 3)
    d.give(0, "ore_red", 4)
    d.step("move_east")  # calm: the classic hand-over of half of each shareable resource
    assert d.inv(d.agent(0)) == {"heart": 3, "ore_red": 2} and d.inv(d.agent(1)) == {"ore_red": 2}
    d.step("change_vibe_give")
    d.step("move_east")  # give: exactly 2 hearts, and no hand-over beside it
    assert d.inv(d.agent(0)) == {"heart": 1, "ore_red": 2} and d.inv(d.agent(1)) == {"heart": 2, "ore_red": 2}
    assert d.env.action_success[0, 0]
    d.step("move_east")  # 1 heart left: not enough, nothing moves, the move fails
    assert not d.env.action_success[0, 0] and d.inv(d.agent(0)) == {"heart": 1, "ore_red": 2}
    assert d.stats(0)["heart.shared"] == 2 and d.stats(1)["heart.received"] == 2


def test_a_vibe_transfer_needs_room_for_all_of_it(driver):
    d = driver(["@@"], **{**GIVE, "agent": {"resource_limits": {"heart": 3}}}, objects={"wall": {}})
    d.give(0, "heart", 3)
    d.give(1, "heart", 2)
    d.step("change_vibe_give")
    d.step("move_east")  # the other has room for 1 of the 2
    assert not d.env.action_success[0, 0] and d.inv(d.agent(1)) == {"heart": 2}


def test_a_chest_keyed_by_vibes_deposits_or_withdraws_by_the_users_vibe(driver):
    # The library's heart chest (by side: +1 from the north, -1 from the south), keyed by vibes.
    chest = {"chest": {"vibe_deltas": {"up": 2, "down": -1}}}
    d = driver(["@C"], **game(chest))
    d.give(0, "heart", 3)
    d.step("move_east")  # calm: a vibe the chest does not name does nothing
    assert not d.env.action_success[0, 0] and d.inv(d.obj("chest")) == {}
    d.step("change_vibe_up")
    d.step("move_east")  # up: deposits 2, whatever side the user stands on
    assert d.inv(d.agent(0)) == {"heart": 1} and d.inv(d.obj("chest")) == {"heart": 2}
    d.step("change_vibe_down")
    d.step("move_east")  # down: withdraws 1
    assert d.inv(d.agent(0)) == {"heart": 2} and d.inv(d.obj("chest")) == {"heart": 1}
    stats = d.env.episode_stats()["game"]
    assert stats["chest.heart.deposited"] == 2 and stats["chest.heart.withdrawn"] == 1


def test_each_action_is_counted_against_the_vibes_its_agent_saw(driver):
    d = driver(["@.@....@"], **game({}), obs_width=5, obs_height=5)
    d.step("change_vibe_up", None, None)
    d.step(None, "move_west", None)  # agent 1 saw agent 0's up (2 cells away); agent 2 is 5 away
    stats = d.env.episode_stats()["game"]
    # Agents 0 and 1 see each other, agent 2 nobody. Step 1 (all calm): 0's change_vibe_up and
    # 1's noop; step 2: 0's noop against 1's calm, 1's move_west against 0's up.
    assert stats["signal.calm.change_vibe_up"] == 1 and stats["signal.calm.noop"] == 2
    assert stats["signal.up.move_west"] == 1
    assert sum(v for k, v in stats.items() if k.startswith("signal.")) == 4
