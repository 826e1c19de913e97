"""Assemblers (spec 1.3): the recipe is picked by which neighbouring cells hold agents, inputs
are pooled from all of them in NW..SE order, outputs go to the user; cooldown with
exhaustion, max_uses and partial usage during cooldown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

TOGETHER = {"positions": ["Any", "Any"], "input_resources": {"battery_red": 2}, "output_resources": {"heart": 1}}


def assembler(*recipes: dict, **fields) -> dict:
    return {
        "wall": {},
        "assembler": {"type": "assembler", "type_id": 21, "map_char": "A", "recipes": list(recipes), **fields},
    }


def game_stats(d) -> dict[str, float]:
    return d.env.episode_stats()["game"]


def test_a_two_agent_recipe_needs_two_agents_beside_it_and_pools_their_inputs(driver):
    d = driver(["@A@"], objects=assembler(TOGETHER))
    d.give(0, "battery_red", 1)
    d.give(1, "battery_red", 1)
    d.step("move_east", None)  # west of it, the other agent east: two agents around it
    assert d.env.action_success[0, 0]
    assert d.inv(d.agent(0)) == {"heart": 1} and d.inv(d.agent(1)) == {}  # outputs to the user only
    stats = game_stats(d)
    assert stats["assembler.uses"] == 1 and stats["assembler.uses.agents_2"] == 1
    assert "assembler.uses.agents_1" not in stats


def test_alone_an_agent_cannot_make_a_two_agent_recipe(driver):
    d = driver(["@A."], objects=assembler(TOGETHER))
    d.give(0, "battery_red", 5)
    d.step("move_east")
    assert not d.env.action_success[0, 0] and d.inv(d.agent(0)) == {"battery_red": 5}
    assert d.agent(0)["c"] == 0  # the agent did not move into it either


def test_inputs_are_taken_in_nw_to_se_order_across_the_agents(driver):
    recipe = {**TOGETHER, "input_resources": {"battery_red": 3}}
    d = driver(["@A@"], objects=assembler(recipe))
    d.give(0, "battery_red", 2)
    d.give(1, "battery_red", 5)
    d.step(None, "move_west")  # the east agent uses it: the west one (W before E) gives first
    assert d.inv(d.agent(0)) == {} and d.inv(d.agent(1)) == {"battery_red": 4, "heart": 1}


def test_the_recipe_follows_the_sides_agents_stand_on_and_later_recipes_win(driver):
    solo_west = {"positions": ["W"], "output_resources": {"ore_red": 1}}
    solo_any = {"positions": ["Any"], "output_resources": {"ore_blue": 1}}
    # one agent beside it: from the west the later W recipe wins over Any
    d2 = driver(["@A."], objects=assembler(solo_any, solo_west))
    d2.step("move_east")
    assert d2.inv(d2.agent(0)) == {"ore_red": 1}
    d3 = driver([".A@"], objects=assembler(solo_any, solo_west))
    d3.step("move_west")
    assert d3.inv(d3.agent(0)) == {"ore_blue": 1}
    d4 = driver([".A@"], objects=assembler(solo_west))  # no recipe for one agent to the east
    d4.step("move_west")
    assert not d4.env.action_success[0, 0] and d4.inv(d4.agent(0)) == {}


def test_cooldown_grows_with_exhaustion_and_is_observed(driver):
    recipe = {"positions": ["Any"], "output_resources": {"ore_red": 1}, "cooldown": 4}
    d = driver(["@A"], objects=assembler(recipe, exhaustion=1.0), obs_width=3, obs_height=3)
    east = 0x12

    def cooldown_token() -> int:
        found = [int(t[2]) for t in d.env.observations[0, 0] if t[0] == east and t[1] == 12]
        return found[0] if found else 0

    uses = []
    for step in range(1, 20):
        d.step("move_east")
        if d.env.action_success[0, 0]:
            uses.append(step)
        if step == 1:
            assert cooldown_token() == 4
    # used at 1, then cooldown 4 (ready at 5), then 8 (ready at 13)
    assert uses == [1, 5, 13]
    assert d.inv(d.agent(0)) == {"ore_red": 3}
    assert "cooldown_remaining" in d.env.feature_spec and "remaining_uses" in d.env.feature_spec


def test_max_uses_caps_the_uses_and_the_remaining_uses_are_observed(driver):
    recipe = {"positions": ["Any"], "output_resources": {"ore_red": 1}}
    d = driver(["@A"], objects=assembler(recipe, max_uses=2), obs_width=3, obs_height=3)
    left = []
    for _ in range(4):
        d.step("move_east")
        left.append([int(t[2]) for t in d.env.observations[0, 0] if t[0] == 0x12 and t[1] == 13][0])
    assert d.inv(d.agent(0)) == {"ore_red": 2} and left == [1, 0, 0, 0]


def test_partial_usage_during_cooldown_scales_inputs_up_and_outputs_down(driver):
    recipe = {
        "positions": ["Any"],
        "input_resources": {"battery_red": 4},
        "output_resources": {"heart": 3},
        "cooldown": 10,
    }
    d = driver(["@A"], objects=assembler(recipe, allow_partial_usage=True), agent={"resource_limits": {}})
    d.give(0, "battery_red", 10)
    d.step("move_east")  # step 1: a full use, cooldown until step 11
    assert d.inv(d.agent(0)) == {"battery_red": 6, "heart": 3}
    for _ in range(4):
        d.step("noop")
    d.step("move_east")  # step 6: progress (6 - 1) / 10 = 0.5: 2 batteries in, 1 heart out
    assert d.inv(d.agent(0)) == {"battery_red": 4, "heart": 4}
    d.step("move_east")  # step 7: a new cooldown from step 6; progress 0.1 makes floor(0.3) = 0 hearts
    assert not d.env.action_success[0, 0] and d.inv(d.agent(0)) == {"battery_red": 4, "heart": 4}


def test_envs_without_assemblers_keep_their_observation_features(driver):
    d = driver(["@_"], objects={"wall": {}, "altar": {}})
    assert "cooldown_remaining" not in d.env.feature_spec


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        (assembler({"positions": ["N", "N"]}), "a side can hold only one agent"),
        (assembler({"positions": ["Up"]}), "positions.0"),
        (assembler({"positions": ["Any"], "output_resources": {"gold": 1}}), "unknown resource 'gold'"),
        (assembler({"positions": ["W"]}, {"positions": ["Any"]}), "recipes.0: every arrangement"),
        (assembler(), "give either recipes .chosen by where agents stand. or protocols"),
    ],
)
def test_bad_assemblers_are_refused_naming_the_field(driver, objects, message):
    with pytest.raises(ValidationError, match=message):
        driver(["@A"], objects=objects)


def test_extreme_exhaustion_only_ever_lengthens_the_cooldown(driver):
    recipe = {"positions": ["Any"], "output_resources": {"ore_red": 1}, "cooldown": 1}
    d = driver(["@A"], objects=assembler(recipe, exhaustion=1000.0), obs_width=3, obs_height=3, max_steps=0)
    for _ in range(40):
        d.step("move_east")
    # used at steps 1 and 2 (cooldown 1), then a cooldown of 1001 steps; the token saturates at 255
    assert d.inv(d.agent(0)) == {"ore_red": 2}
    assert [int(t[2]) for t in d.env.observations[0, 0] if t[0] == 0x12 and t[1] == 12] == [255]


def recipe_tokens(d, location: int) -> dict[str, int]:
    """The input:/output: tokens agent 0 sees at ``location``, by feature name."""
    names = {info["id"]: name for name, info in d.env.feature_spec.items()}
    return {
        names[int(t[1])]: int(t[2])
        for t in d.env.observations[0, 0]
        if t[0] == location and names.get(int(t[1]), "").startswith(("input:", "output:"))
    }


def test_recipe_details_show_the_recipe_the_agents_around_would_make_now(driver):
    solo_west = {"positions": ["W"], "input_resources": {"ore_red": 3}, "output_resources": {"ore_blue": 1}}
    game = {"objects": assembler(solo_west, TOGETHER), "obs_width": 3, "obs_height": 3}
    east = 0x12
    off = driver(["@A@"], **game)
    assert not any(name.startswith(("input:", "output:")) for name in off.env.feature_spec)
    together = driver(["@A@"], recipe_details_obs=True, **game)
    spec, resources = together.env.feature_spec, together.env.resource_names
    r = len(resources)
    assert spec["input:battery_red"]["id"] == 17 + r + resources.index("battery_red")
    assert spec["output:heart"]["id"] == 17 + 2 * r + resources.index("heart")
    together.step()  # observations are written by a step too
    assert recipe_tokens(together, east) == {"input:battery_red": 2, "output:heart": 1}  # two agents: TOGETHER
    alone = driver(["@A."], recipe_details_obs=True, **game)
    alone.step()
    assert recipe_tokens(alone, east) == {"input:ore_red": 3, "output:ore_blue": 1}  # one, from the west
    apart = driver(["@.A"], recipe_details_obs=True, objects=assembler(solo_west), obs_width=5, obs_height=5)
    apart.step()
    assert recipe_tokens(apart, 0x24) == {}  # nobody beside it: no recipe now


def test_recipe_details_show_a_converters_recipe(driver):
    d = driver(["@n"], recipe_details_obs=True, obs_width=3, obs_height=3)
    d.step()
    expected = d.env.config.game.objects["generator_red"]
    assert recipe_tokens(d, 0x12) == {
        **{f"input:{k}": v for k, v in expected.input_resources.items()},
        **{f"output:{k}": v for k, v in expected.output_resources.items()},
    }
