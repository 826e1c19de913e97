"""Chests (spec 1.3): one resource, used by moving into it; the side the user stands on picks
the deposit or withdrawal; what is deposited past the limit is destroyed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

HEART = 6  # index of heart in the default resources
OBJECTS = {"wall": {}, "chest": {}}  # the library's heart chest: +1 from the north, -1 from the south


def game_stats(d) -> dict[str, float]:
    return d.env.episode_stats()["game"]


def test_a_user_north_of_the_chest_deposits_and_one_south_of_it_withdraws(driver):
    d = driver(["@", "C", "@"], objects=OBJECTS, agent={"rewards": {"inventory": {"heart": 1}}})
    d.give(0, "heart", 3)
    assert d.step("move_south", None).tolist() == [-1.0, 0.0]  # a heart given away is a heart's reward lost
    assert d.env.action_success[0, 0]
    assert d.inv(d.agent(0)) == {"heart": 2} and d.inv(d.obj("chest")) == {"heart": 1}
    assert d.step(None, "move_north").tolist() == [0.0, 1.0]
    assert d.inv(d.agent(1)) == {"heart": 1} and d.inv(d.obj("chest")) == {}
    stats = game_stats(d)
    assert (stats["chest.heart.deposited"], stats["chest.heart.withdrawn"], stats.get("chest.heart.amount", 0)) == (
        1,
        1,
        0,
    )
    assert d.stats(0)["heart.lost"] == 1 and d.stats(1)["heart.gained"] == 1
    # An empty chest gives nothing: the withdrawal fails; nor can one deposit what one lacks.
    d.step(None, "move_north")
    assert not d.env.action_success[0, 1]
    d.give(0, "heart", 0)
    d.step("move_south", None)
    assert not d.env.action_success[0, 0]
    assert d.stats(1)["action.move.failed"] == 1 and d.stats(0)["action.move.failed"] == 1


def test_a_side_without_a_delta_does_nothing_and_the_user_only_turns(driver):
    d = driver(["@C"], objects=OBJECTS)
    d.give(0, "heart", 2)
    d.step("move_east")  # west of the chest: no delta there
    assert not d.env.action_success[0, 0] and d.inv(d.agent(0)) == {"heart": 2}
    assert d.agent(0)["orientation"] == 3 and d.agent(0)["c"] == 0


def test_deposits_past_the_limit_are_destroyed_and_withdrawals_stop_at_the_users_limit(driver):
    chest = {"position_deltas": {"N": 5, "S": -5}, "max_inventory": 2, "initial_inventory": 1}
    d = driver(["@", "C", "@"], objects={"wall": {}, "chest": chest}, agent={"resource_limits": {"heart": 4}})
    d.give(0, "heart", 4)
    d.step("move_south", None)  # 1 fits (2 - 1), the other 3 of the 4 given are destroyed
    assert d.inv(d.agent(0)) == {} and d.inv(d.obj("chest")) == {"heart": 2}
    stats = game_stats(d)
    assert (stats["chest.heart.deposited"], stats["chest.heart.destroyed"], stats["chest.heart.amount"]) == (1, 3, 2)
    d.give(0, "heart", 1)
    d.step("move_south", None)  # full: the deposit is destroyed whole, and the use succeeds
    assert d.env.action_success[0, 0] and d.inv(d.agent(0)) == {} and game_stats(d)["chest.heart.destroyed"] == 4
    d.give(1, "heart", 3)
    d.step(None, "move_north")  # room for 1 more under the limit of 4
    assert d.inv(d.agent(1)) == {"heart": 4} and d.inv(d.obj("chest")) == {"heart": 1}


def test_a_chests_amount_is_observed_as_its_inventory_token(driver):
    chest = {"resource_type": "ore_red", "initial_inventory": 7}
    d = driver(["@C"], objects={"wall": {}, "chest": chest}, obs_width=3, obs_height=3)
    east = 0x12  # window row 1, column 2
    assert [tuple(int(x) for x in t) for t in d.env.observations[0, 0] if t[0] == east] == [
        (east, 0, 20),  # type_id
        (east, 4, 0),  # color
        (east, 17, 7),  # inv:ore_red
    ]
    assert game_stats(d)["chest.ore_red.amount"] == 7


@pytest.mark.parametrize(
    ("chest", "message"),
    [
        ({"resource_type": "gold"}, "unknown resource 'gold'"),
        ({"position_deltas": {"up": 1}}, "position_deltas.up"),
        ({"position_deltas": {"N": 300}}, "less than or equal to 255"),
        ({"initial_inventory": 9, "max_inventory": 4}, "exceeds max_inventory 4"),
    ],
)
def test_bad_chests_are_refused_naming_the_field(driver, chest, message):
    with pytest.raises(ValidationError, match=message):
        driver(["@C"], objects={"wall": {}, "chest": chest})


def test_units_withdrawn_by_another_agent_than_their_depositor_count_as_passed(driver):
    """Withdrawals take the oldest units first; units the chest started with have no depositor."""
    chest = {"position_deltas": {"N": 1, "E": -5, "W": -1}, "initial_inventory": 1}
    d = driver([".@.", ".C@", "..."], objects={"wall": {}, "chest": chest})
    d.give(0, "heart", 3)
    d.step("move_south", None)  # agent 0 (north) deposits 1: the chest holds [start, 0]
    d.step("move_south", None)  # [start, 0, 0]
    d.step(None, "move_west")  # agent 1 (east) takes 3: the start unit and agent 0's two
    stats = game_stats(d)
    assert (stats["chest.heart.withdrawn"], stats["chest.heart.passed"]) == (3, 2)
    d.step("move_south", None)  # agent 0 deposits again, walks to the west side, takes it back
    for move in ("move_west", "move_south", "move_east"):
        d.step(move, None)
    assert d.inv(d.agent(0)) == {"heart": 1} and game_stats(d)["chest.heart.passed"] == 2


def test_a_regrowing_chest_grows_in_proportion_to_what_is_left_and_an_empty_one_stays_empty(driver):
    chest = {
        "initial_inventory": 4,
        "regrow_interval": 3,
        "regrow_rate": 0.5,
        "max_inventory": 12,
        "position_deltas": {"S": -4},
    }
    d = driver(["C", "@"], objects={"wall": {}, "chest": chest})
    amounts = []
    for _ in range(9):
        d.step()
        amounts.append(d.inv(d.obj("chest")).get("heart", 0))
    # every 3rd step: 4 -> 6 -> 9 -> 12 (ceil(4.5) = 5 would pass the limit of 12)
    assert amounts == [4, 4, 6, 6, 6, 9, 9, 9, 12]
    assert game_stats(d)["chest.heart.regrown"] == 8
    for _ in range(3):
        d.step("move_north")  # takes 4 each time: 12 -> 8 -> 4 -> 0
    assert d.inv(d.obj("chest")) == {}
    for _ in range(6):
        d.step()
    assert d.inv(d.obj("chest")) == {} and game_stats(d)["chest.heart.regrown"] == 8
