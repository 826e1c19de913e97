"""Map builders (ASCII, random, instance tiling) and clear errors for bad configs."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from conftest import make_game
from pydantic import ValidationError

from metta_lit.core.errors import ConfigError
from metta_lit.env import GameConfig, MettaGridConfig, MettaGridVecEnv, env_config


def counts(grid: list[list[str]]) -> Counter:
    return Counter(name for row in grid for name in row)


def test_arena_is_62x62_with_four_instances_of_six_agents():
    env = MettaGridVecEnv(env_config("arena"), num_envs=1, seed=3)
    env.reset()
    grid = env.initial_map()
    assert (env.map_width, env.map_height, env.num_agents, env.num_actions) == (62, 62, 24, 16)
    # 6-cell border of walls all around.
    for r in range(62):
        for c in range(62):
            if min(r, c, 61 - r, 61 - c) < 6:
                assert grid[r][c] == "wall"
    # Each 25x25 quadrant holds its own objects and 6 agents.
    for qr in (6, 31):
        for qc in (6, 31):
            quad = Counter(grid[r][c] for r in range(qr, qr + 25) for c in range(qc, qc + 25))
            assert quad["agent.agent"] == 6
            assert {k: quad[k] for k in ("wall", "altar", "mine_red", "generator_red", "lasery", "armory")} == {
                "wall": 10,
                "altar": 5,
                "mine_red": 10,
                "generator_red": 5,
                "lasery": 1,
                "armory": 1,
            }
    assert env.action_names == [
        "noop",
        "move_north",
        "move_south",
        "move_west",
        "move_east",
        "put_items",
        "get_items",
    ] + [f"attack_{k}" for k in range(9)]


def test_random_map_draws_border_then_shuffles_objects_and_agents():
    game = make_game(
        ["@"],
        map_builder={
            "type": "random",
            "width": 8,
            "height": 6,
            "border_width": 1,
            "agents": 3,
            "objects": {"mine_red": 4, "altar": 2},
        },
        num_agents=3,
    )
    env = MettaGridVecEnv(game, num_envs=2, seed=5)
    env.reset()
    grid = env.initial_map(0)
    assert all(grid[0][c] == grid[5][c] == "wall" for c in range(8))
    assert counts(grid) == Counter({"wall": 24, "agent.agent": 3, "mine_red": 4, "altar": 2, "empty": 15})
    assert env.initial_map(0) != env.initial_map(1)  # envs get different maps


def test_random_map_halves_object_counts_until_they_fit():
    game = make_game(
        ["@"],
        map_builder={"type": "random", "width": 4, "height": 4, "agents": 2, "objects": {"wall": 40, "altar": 9}},
        num_agents=2,
    )
    env = MettaGridVecEnv(game)
    env.reset()
    # 40/9 -> 20/4 -> 10/2 (12 + 2 agents <= 16)
    assert counts(env.initial_map()) == Counter({"wall": 10, "altar": 2, "agent.agent": 2, "empty": 2})


def test_each_reset_builds_a_fresh_map_and_seeds_repeat():
    a = MettaGridVecEnv(env_config("arena"), num_envs=1, seed=11)
    b = MettaGridVecEnv(env_config("arena"), num_envs=1, seed=11)
    a.reset()
    b.reset()
    first = a.map_hash()
    assert first == b.map_hash()
    a.reset()
    assert a.map_hash() != first
    a.reset(seed=11)
    assert a.map_hash() == first


def test_ascii_map_places_objects_in_row_major_order():
    env = MettaGridVecEnv(make_game(["#@_", "m@."]))
    env.reset()
    objs = env.grid_objects()
    assert [(o["id"], o["type_name"], o["r"], o["c"]) for o in objs] == [
        (1, "wall", 0, 0),
        (2, "agent", 0, 1),
        (3, "altar", 0, 2),
        (4, "mine_red", 1, 0),
        (5, "agent", 1, 1),
    ]
    assert [o["agent_id"] for o in objs if o["type_name"] == "agent"] == [0, 1]


def test_shipped_configs_load():
    for name in ("arena", "arena_easy", "navigation", "perf"):
        cfg = env_config(name)
        MettaGridVecEnv(cfg).reset()
    with pytest.raises(FileNotFoundError, match="available: arena"):
        env_config("no_such_env")
    with pytest.raises(FileNotFoundError, match=r"\(closest: arena_easy, arena; available"):
        env_config("arena_esy")


def test_an_env_variant_states_only_what_differs(tmp_path):
    easy, arena = env_config("arena_easy"), env_config("arena")
    assert easy.label == "arena_easy" and easy.game.objects["altar"].input_resources == {"battery_red": 1}
    assert (
        easy.game.agent.rewards.inventory["blueprint"] == 0.5 and easy.game.agent.rewards.inventory_max["ore_red"] == 1
    )
    assert easy.game.map_builder == arena.game.map_builder and arena.game.objects["altar"].input_resources == {
        "battery_red": 3
    }
    loop = tmp_path / "loop.yaml"
    loop.write_text(f"base: {loop}\n")
    with pytest.raises(ConfigError, match="deeper than"):
        env_config(str(loop))
    extra = tmp_path / "extra.yaml"
    extra.write_text("base: arena\ngame: {}\n")
    with pytest.raises(ConfigError, match="takes only"):
        env_config(str(extra))


def test_a_map_object_the_game_does_not_configure_says_how_to():
    with pytest.raises(ValidationError, match=r"it is the altar's character, and game.objects has no altar"):
        make_game(["@_"], objects={"wall": {}})
    with pytest.raises(ConfigError, match=r"configure it under game.objects \(altar: \{\}\)"):
        env_config("arena").with_overrides({"game.objects": {"wall": {}}})


# --- bad input -----------------------------------------------------------------------------


def test_unknown_map_character_names_row_and_column():
    with pytest.raises(ValidationError, match=r"unknown map character 'x' at row 1, column 2"):
        make_game(["@..", "..x"])


def test_ragged_rows_are_refused():
    with pytest.raises(ValidationError, match=r"row 1 has 2 columns, expected 3"):
        make_game(["@..", ".."])


def test_agent_count_mismatch():
    with pytest.raises(ValidationError, match=r"the map has 2 agents but num_agents is 3"):
        make_game(["@.@"], num_agents=3)


def test_unconfigured_object_on_map():
    builder = {"type": "ascii", "map_data": ["@S"], "char_to_name_map": {"S": "lasery"}}
    with pytest.raises(ValidationError, match=r"'lasery' \(character 'S'\) at row 0, column 1"):
        make_game(["@S"], objects={"wall": {}}, map_builder=builder)


def test_objects_that_do_not_fit():
    with pytest.raises(ValidationError, match=r"50 objects and 6 agents do not fit in 25 free cells"):
        make_game(
            ["@"],
            num_agents=6,
            map_builder={"type": "mapgen", "width": 5, "height": 5, "instance": {"agents": 6, "objects": {"wall": 50}}},
        )
    with pytest.raises(ValidationError, match=r"7 agents do not fit in 4 free cells"):
        make_game(
            ["@"], num_agents=7, map_builder={"type": "random", "width": 4, "height": 4, "border_width": 1, "agents": 7}
        )


def test_unknown_resource_names_the_field():
    with pytest.raises(ValidationError, match=r"actions.attack.consumed_resources: unknown resource 'lazer'"):
        make_game(["@"], actions={"attack": {"consumed_resources": {"lazer": 1}}})
    with pytest.raises(ValidationError, match=r"objects.altar.input_resources: unknown resource 'gold'"):
        make_game(["@"], objects={"altar": {"input_resources": {"gold": 1}}})
    with pytest.raises(ValidationError, match=r"agent.rewards.inventory: unknown resource 'hearts'"):
        make_game(["@"], agent={"rewards": {"inventory": {"hearts": 1}}})


def test_negative_limits_and_bad_ranges():
    with pytest.raises(
        ValidationError, match=r"agent.resource_limits.heart\s+Input should be greater than or equal to 0"
    ):
        make_game(["@"], agent={"resource_limits": {"heart": -1}})
    with pytest.raises(ValidationError, match=r"obs_width\s+Value error, observation window sizes must be odd"):
        make_game(["@"], obs_width=10)
    with pytest.raises(ValidationError, match=r"max_steps\s+Input should be greater than or equal to 0"):
        make_game(["@"], max_steps=-5)


def test_typos_in_config_keys_are_errors():
    with pytest.raises(ValidationError, match=r"agent.freez_duration\s+Extra inputs are not permitted"):
        make_game(["@"], agent={"freez_duration": 3})


def test_required_must_cover_consumed():
    with pytest.raises(ValidationError, match=r"'laser' must be >= ceil\(consumed\) = 2"):
        make_game(["@"], actions={"attack": {"consumed_resources": {"laser": 1.5}, "required_resources": {"laser": 1}}})


def test_bad_yaml_names_the_file(tmp_path):
    from metta_lit.env import MettaGridConfig

    path = tmp_path / "bad.yaml"
    path.write_text("game: {num_agents: 1, map_builder: {type: ascii, map_data: ['@'], bogus: 1}}")
    with pytest.raises(ValueError, match=r"(?s)bad.yaml: .*game.map_builder.ascii.bogus"):
        MettaGridConfig.from_yaml(path)
    path.write_text("game: [unclosed")
    with pytest.raises(ValueError, match=r"bad.yaml: invalid YAML"):
        MettaGridConfig.from_yaml(path)


def test_native_validation_backs_up_python():
    from metta_lit import _mettagrid as native
    from metta_lit.env.native_config import to_native

    cfg = to_native(GameConfig.model_validate(make_game(["@"]).model_dump()))
    cfg.obs_width = 4
    with pytest.raises(ValueError, match="obs_width/obs_height must be odd"):
        native.VecEnv(cfg, 1)
    cfg = to_native(make_game(["@"]))
    cfg.num_agents = 2
    with pytest.raises(ValueError, match="map has 1 agent cells but num_agents is 2"):
        native.VecEnv(cfg, 1)
    # Actions are found in the native registry (one file per action) by name, in catalog order.
    cfg = to_native(make_game(["@"]))
    actions = cfg.actions
    actions[1].name = "fly"
    cfg.actions = actions
    with pytest.raises(ValueError, match=r"unknown action 'fly' \(known: noop, move, rotate, put_items, get_items, "):
        native.VecEnv(cfg, 1)
    cfg = to_native(make_game(["@"]))
    cfg.actions = [cfg.actions[0], cfg.actions[1], cfg.actions[1]]
    with pytest.raises(ValueError, match="'move' is listed twice"):
        native.VecEnv(cfg, 1)


def test_the_catalog_order_is_the_native_registrys_whatever_the_config_lists():
    """One place orders actions: the handler registry. A config listing them in another order
    gets the same catalog."""
    from metta_lit import _mettagrid as native
    from metta_lit.env.native_config import to_native

    game = make_game(["@"])
    reordered = to_native(game)
    reordered.actions = list(reversed(reordered.actions))
    catalog = native.VecEnv(to_native(game), 1).action_names
    assert native.VecEnv(reordered, 1).action_names == catalog
    handlers = [name for name in native.registered_actions if any(a.startswith(name) for a in catalog)]
    assert [a for a in catalog if not a.startswith(tuple(handlers))] == []
    positions = [next(i for i, h in enumerate(native.registered_actions) if a.startswith(h)) for a in catalog]
    assert positions == sorted(positions) and native.registered_actions[0] == "noop"


def test_dotted_env_overrides_are_validated():
    cfg = env_config("arena").with_overrides({"game.max_steps": 50, "game.agent.freeze_duration": 3})
    assert (cfg.game.max_steps, cfg.game.agent.freeze_duration) == (50, 3)
    assert env_config("arena").game.max_steps == 1000  # the original is untouched
    with pytest.raises(
        ConfigError, match=r"env override 'game.agnt.freeze_duration': no field 'game.agnt' \(closest: game.agent, "
    ):
        env_config("arena").with_overrides({"game.agnt.freeze_duration": 3})
    with pytest.raises(ConfigError, match=r"no field 'game.max_stpes' \(closest: game.max_steps"):
        env_config("arena").with_overrides({"game.max_stpes": 3})
    with pytest.raises(ConfigError, match="game.max_steps: Input should be greater than or equal to 0"):
        env_config("arena").with_overrides({"game.max_steps": -1})
    # A map builder is a tagged union: the error names the key as written, not the variant.
    with pytest.raises(ConfigError, match=r"no field 'game.map_builder.widht' \(closest: game.map_builder.width"):
        env_config("navigation").with_overrides({"game.map_builder.widht": 3})


def test_a_border_wider_than_half_the_map_is_refused_in_python_and_in_cpp():
    # Both inner sides negative: their product is positive, which once let a map with no agent through.
    random_map = {"type": "random", "width": 6, "height": 6, "border_width": 4, "agents": 1}
    with pytest.raises(ValidationError, match=r"map_builder.border_width: 4 leaves no inner area in a 6x6 map"):
        GameConfig.model_validate({"num_agents": 1, "map_builder": random_map})
    from metta_lit import _mettagrid as native
    from metta_lit.env.native_config import to_native

    cfg = to_native(GameConfig.model_validate({"num_agents": 1, "map_builder": {**random_map, "border_width": 1}}))
    cfg.map.border_width = 4  # past Python's checks: the native env refuses it too, never reads out of bounds
    with pytest.raises(ValueError, match="border_width 4 leaves no inner area"):
        native.VecEnv(cfg, 1)
    cfg.map.border_width, cfg.map.kind, cfg.map.instances = 1, "mapgen", 10**9
    with pytest.raises(ValueError, match=r"instances must be in \[1, 60000\]"):
        native.VecEnv(cfg, 1)


def test_the_native_env_refuses_map_variants_that_do_not_add_up():
    from metta_lit import _mettagrid as native
    from metta_lit.env.native_config import to_native

    cfg = to_native(make_game(["#####", "#@._#", "#####"]))
    cfg.map.variants = 2  # one grid's cells for two grids
    with pytest.raises(ValueError, match=r"cells must hold variants\*height\*width codes"):
        native.VecEnv(cfg, 1)
    cfg.map.cells = cfg.map.cells + [0] * 15  # the second grid has no agent
    with pytest.raises(ValueError, match="map 1 has 0 agent cells but num_agents is 1"):
        native.VecEnv(cfg, 1)
    for variants in (0, 10**9):  # bounded before anything is multiplied or allocated
        cfg.map.variants = variants
        with pytest.raises(ValueError, match=r"variants must be >= 1, with variants\*height\*width at most 4194304"):
            native.VecEnv(cfg, 1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_or_infinite_rewards_and_penalties_are_refused(value):
    for agent, field in (
        ({"rewards": {"inventory": {"heart": value}}}, "agent.rewards.inventory.heart"),
        ({"action_failure_penalty": value}, "agent.action_failure_penalty"),
        ({"rewards": {"stats": {"action.move.success": value}}}, "agent.rewards.stats"),
    ):
        with pytest.raises(ValidationError, match=rf"(?s){re.escape(field)}.*finite number"):
            make_game(["@"], agent=agent)


def test_initial_inventory_above_its_limit_is_refused():
    with pytest.raises(ValidationError, match=r"agent.initial_inventory.ore_red: 5 exceeds its resource limit 3"):
        make_game(["@"], agent={"resource_limits": {"ore_red": 3}, "initial_inventory": {"ore_red": 5}})
    with pytest.raises(ValidationError, match=r"agent.initial_inventory.heart: 9 exceeds its resource limit 8"):
        make_game(["@"], agent={"default_resource_limit": 8, "initial_inventory": {"heart": 9}})
    shared = {
        "shared_limits": [{"resources": ["ore_red", "ore_blue"], "limit": 4}],
        "initial_inventory": {"ore_red": 3, "ore_blue": 2},
    }
    with pytest.raises(ValidationError, match=r"5 of \['ore_red', 'ore_blue'\] exceed their shared limit 4"):
        make_game(["@"], agent=shared)
    groups = {"agent": {"id": 0, "agent": {"initial_inventory": {"heart": 2}, "resource_limits": {"heart": 1}}}}
    with pytest.raises(ValidationError, match=r"groups.agent.agent.initial_inventory.heart: 2 exceeds"):
        make_game(["@"], groups=groups)


def test_two_objects_with_one_type_id_are_refused():
    objects = {"wall": {}, "altar": {}, "mine_red": {"type_id": 8}}
    with pytest.raises(ValidationError, match=r"objects.mine_red.type_id: 8 is already the type_id of 'altar'"):
        make_game(["@_m"], objects=objects)


def test_defaults_are_validated_like_any_value():
    game = GameConfig.model_validate({"num_agents": 1, "map_builder": {"type": "ascii", "map_data": ["#@#"]}})
    assert game.objects["wall"].type == "wall" and game.objects["wall"].type_id == 1
    env = MettaGridVecEnv(game)
    env.reset()
    assert [o["type_name"] for o in env.grid_objects()] == ["wall", "agent", "wall"]


def test_seeds_and_sizes_are_checked_with_the_argument_named():
    game = make_game(["@"])
    with pytest.raises(ValueError, match=r"seed: must be in \[0, 2\*\*64\), got -1"):
        MettaGridVecEnv(game, seed=-1)
    with pytest.raises(TypeError, match="seed: expected an integer, got float"):
        MettaGridVecEnv(game, seed=1.5)
    with pytest.raises(ValueError, match="num_envs: must be an integer >= 1, got 0"):
        MettaGridVecEnv(game, num_envs=0)
    env = MettaGridVecEnv(game)
    with pytest.raises(ValueError, match="seed: must be in"):
        env.reset(seed=-5)


def test_a_bad_env_yaml_is_one_config_error_naming_file_and_field(tmp_path):
    path = tmp_path / "env.yaml"
    path.write_text("game:\n  num_agents: 1\n  max_stpes: 3\n  map_builder: {type: ascii, map_data: ['@']}\n")
    with pytest.raises(ConfigError, match=r"env.yaml: game.max_stpes: Extra inputs are not permitted"):
        MettaGridConfig.from_yaml(path)


def _numbers(node, path=()):
    """Every integer and number of a JSON schema, with its path and bounds."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            yield path, node["type"], node.get("minimum"), node.get("maximum")
        for key, value in node.items():
            yield from _numbers(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numbers(value, (*path, str(i)))


def test_every_number_of_the_config_is_bounded_to_its_native_type():
    """Every int of the native config is a C++ ``int`` and every float a ``float``
    (config.hpp): a field without a bound that fits would fail in pybind's cast, or turn into
    infinity, instead of being refused with its name. Walks the whole schema, so a new field
    without a bound fails here."""
    int32, float32 = (-(2**31), 2**31 - 1), float(np.finfo(np.float32).max)
    found = list(_numbers(MettaGridConfig.model_json_schema()))
    assert len(found) > 60
    for path, kind, low, high in found:
        assert low is not None and high is not None, f"{'.'.join(path)}: unbounded {kind}"
        if kind == "integer":
            assert int32[0] <= low and high <= int32[1], ".".join(path)
        else:
            assert -float32 <= low and high <= float32, ".".join(path)


WIDE = {  # each field that used to pass Python's check and fail in the native cast
    "game.objects.altar.cooldown": 2**31 - 1,
    "game.objects.altar.max_conversions": 2**31 - 1,
    "game.objects.chest.regrow_interval": 2**31 - 1,
    "game.objects.assembler.max_uses": 2**31 - 1,
    "game.objects.assembler.recipes": [{"positions": ["Any"], "output_resources": {"heart": 1}, "cooldown": 2**31 - 1}],
    "game.max_steps": 2**31 - 1,
    "game.inventory_regen_interval": 2**31 - 1,
    "game.agent.action_failure_penalty": -3.0e38,
}


def _wide_game() -> MettaGridConfig:
    objects = {
        "wall": {},
        "altar": {},
        "chest": {"type": "chest", "type_id": 17, "map_char": "C", "resource_type": "heart"},
        "assembler": {"type": "assembler", "type_id": 21, "map_char": "A", "recipes": [{"positions": ["Any"]}]},
    }
    return MettaGridConfig(label="wide", game=make_game(["@_CA"], objects=objects))


def test_fields_at_their_native_maximum_build_and_step_and_one_past_it_is_named():
    config = _wide_game().with_overrides(WIDE)
    env = MettaGridVecEnv(config, num_envs=1)
    env.reset()
    for _ in range(3):
        env.step(np.full((1, 1), env.action_names.index("move_east"), np.int32))
    for key, value in WIDE.items():
        if isinstance(value, int):
            with pytest.raises(ConfigError, match=re.escape(key.removeprefix("game.").split(".")[-1])):
                _wide_game().with_overrides({key: value + 1})
    recipe = [{"positions": ["Any"], "cooldown": 2**31}]
    with pytest.raises(ConfigError, match="less than or equal to 2147483647"):
        _wide_game().with_overrides({"game.objects.assembler.recipes": recipe})
    with pytest.raises(ConfigError, match="action_failure_penalty"):
        _wide_game().with_overrides({"game.agent.action_failure_penalty": -1e39})
