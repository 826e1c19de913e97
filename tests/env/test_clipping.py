"""The clipper: assemblers clipped over time, a clip spreading to the nearest first; a clipped
assembler answers only its unclipping protocol, whose use repairs it (not a use); immune ones
never clip; the clipped state is observed, recorded and saved."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from metta_lit.env import GameConfig

MAKE = {"positions": ["Any"], "output_resources": {"heart": 1}}
REPAIR = {"min_agents": 1, "input_resources": {"ore_red": 1}}


def stations(**fields) -> dict:
    """An assembler (A, with ``fields``) and an immune one (S)."""
    station = {"type": "assembler", "type_id": 21, "map_char": "A", "recipes": [MAKE]}
    shield = {**station, "type_id": 22, "map_char": "S", "clip_immune": True}
    return {"wall": {}, "assembler": {**station, **fields}, "shield": shield}


def clipped(d) -> list[bool]:
    records = d.env.grid_object_records(0)
    return [bool(x) for x in records.records["is_clipped"][records.records["object_index"] >= 1]]


def test_a_clipped_assembler_makes_nothing_until_its_unclipping_protocol_repairs_it(driver):
    d = driver(
        ["@A"], objects=stations(start_clipped=True), clipper={"clip_rate": 0.0, "unclipping_protocols": [REPAIR]}
    )
    assert clipped(d) == [True]
    clip_feature = d.env.feature_spec["clipped"]["id"]
    east = 0x56  # the assembler's cell in agent 0's 11x11 window
    assert [int(t[2]) for t in d.env.observations[0, 0] if t[0] == east and t[1] == clip_feature] == [1]
    d.step("move_east")  # no ore: the repair fails, and the recipe does not answer while clipped
    assert not d.env.action_success[0, 0] and d.inv(d.agent(0)) == {}
    d.give(0, "ore_red", 1)
    d.step("move_east")  # the repair: ore spent, nothing made, not a use
    assert d.env.action_success[0, 0] and d.inv(d.agent(0)) == {} and clipped(d) == [False]
    stats = d.env.episode_stats()["game"]
    assert stats["clipper.repairs"] == 1 and stats["clipper.clips"] == 1 and "assembler.uses" not in stats
    assert not any(t[0] == east and t[1] == clip_feature for t in d.env.observations[0, 0])
    d.step("move_east")  # repaired: the recipe answers again
    assert d.inv(d.agent(0)) == {"heart": 1}
    # grid_objects() shows an assembler's whole state: the use's cooldown, uses, clipped.
    station = d.obj("assembler")
    assert (station["uses_count"], station["is_clipped"], station["cooldown_remaining"]) == (1, False, 0)


def test_a_repair_can_need_two_agents(driver):
    pair = {"min_agents": 2}
    d = driver(
        ["@A."], objects=stations(start_clipped=True), clipper={"clip_rate": 0.0, "unclipping_protocols": [pair]}
    )
    d.step("move_east")
    assert not d.env.action_success[0, 0] and clipped(d) == [True]
    d2 = driver(
        ["@A@"], objects=stations(start_clipped=True), clipper={"clip_rate": 0.0, "unclipping_protocols": [pair]}
    )
    d2.step("move_east", None)
    assert d2.env.action_success[0, 0] and clipped(d2) == [False]


def test_clips_spread_to_the_nearest_assembler_and_never_to_an_immune_one(driver):
    # One clipped assembler at the west end; a near one (distance 2) and a far one (distance 8),
    # and an immune one beside it. With length_scale 1 and cutoff 8 the near one pulls
    # 2^6 against the far one's 2^0: over 40 seeded episodes the near one is clipped first in
    # most, and the immune one never.
    row = "AS" + "." + "A" + "." * 5 + "A" + "@"
    objects = stations()
    objects["first"] = {**objects["assembler"], "type_id": 23, "map_char": "F", "start_clipped": True}
    clipper = {"clip_rate": 1.0, "length_scale": 1, "cutoff": 8, "unclipping_protocols": [REPAIR]}
    near_first = 0
    for seed in range(40):
        d = driver(["F" + row[1:]], seed=seed, objects=objects, clipper=clipper)
        d.step(None)
        states = clipped(d)  # object order: F, S (immune), A near, A far
        assert states[0] and not states[1] and sum(states) == 2
        near_first += states[2]
    assert near_first >= 34  # expected 64/65 of 40


def test_clip_rate_is_the_chance_per_step_and_all_clip_in_time(driver):
    clipper = {"clip_rate": 0.25, "unclipping_protocols": [REPAIR]}
    d = driver(["@A.A.A"], objects=stations(), clipper=clipper)
    steps = 0
    while not all(clipped(d)) and steps < 400:
        d.step(None)
        steps += 1
    assert all(clipped(d)) and 3 <= steps < 400  # 3 clips at 1/4 per step: ~12 steps expected
    assert d.env.episode_stats()["game"]["clipper.clips"] == 3


def test_the_clipped_state_survives_save_and_load(driver):
    clipper = {"clip_rate": 0.5, "unclipping_protocols": [REPAIR]}
    d = driver(["@A.A.A"], objects=stations(), clipper=clipper)
    for _ in range(3):
        d.step(None)
    saved, before = d.env.save_state(0), clipped(d)
    for _ in range(10):
        d.step(None)
    d.env.load_state(0, saved)
    assert clipped(d) == before
    after = []
    for _ in range(10):
        d.step(None)
        after.append(clipped(d))
    d.env.load_state(0, saved)
    again = []
    for _ in range(10):
        d.step(None)
        again.append(clipped(d))
    assert after == again  # the same draws from the same state


BASE = {"num_agents": 1, "map_builder": {"type": "ascii", "map_data": ["@A"]}, "objects": stations()}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"clipper": {"clip_rate": 1.5, "unclipping_protocols": [REPAIR]}}, "clip_rate 1.5 is a probability per step"),
        ({"clipper": {"clip_rate": -0.1, "unclipping_protocols": [REPAIR]}}, "it must be in [0, 1]"),
        ({"clipper": {"clip_rate": 0.1, "unclipping_protocols": []}}, "unclipping_protocols"),
        ({"clipper": {"unclipping_protocols": [{"input_resources": {"gold": 1}}]}}, "unknown resource 'gold'"),
        ({"objects": stations(start_clipped=True)}, "start_clipped: needs game.clipper"),
    ],
)
def test_bad_clipper_configs_are_refused_with_one_line(overrides, message):
    with pytest.raises(ValidationError) as info:
        GameConfig.model_validate({**BASE, **overrides})
    assert message in str(info.value)


def test_envs_without_a_clipper_keep_their_features(driver):
    d = driver(["@A"], objects=stations())
    assert "clipped" not in d.env.feature_spec and not any(clipped(d))
    assert np.isin(["clipper.clips"], list(d.env.episode_stats()["game"])).sum() == 0
