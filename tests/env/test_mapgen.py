"""Scenes: structure on small maps (mazes are perfect, mirrors symmetric, connected maps one
component), determinism, composition, errors that name the scene and the numbers."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from metta_lit.core.errors import ConfigError
from metta_lit.env import GameConfig, MettaGridConfig, MettaGridVecEnv
from metta_lit.env.mapgen import SceneError, generate
from metta_lit.env.mapgen.make_connected import components

RANDOM = {"type": "random_objects", "objects": {"wall": 30, "altar": 2}, "agents": 2}
CHARS = {"wall": "#", "altar": "_", "empty": ".", "agent.agent": "@"}  # as the env renders them


def ascii_rows(names: list[list[str]]) -> list[str]:
    return ["".join(CHARS[name] for name in row) for row in names]


@pytest.mark.parametrize("algorithm", ["kruskal", "dfs"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_maze_is_perfect(algorithm, seed):
    """Every free cell is reachable, and a perfect maze of n cells opens exactly n - 1 walls:
    2n - 1 free cells with corridors and walls one cell wide."""
    grid = generate({"type": "maze", "algorithm": algorithm}, 21, 15, seed)
    cells = 10 * 7
    assert (grid == "empty").sum() == 2 * cells - 1
    assert components(grid)[1] == 1
    assert (grid[0] == "wall").all() and (grid[:, 0] == "wall").all()


def test_wide_corridors_keep_the_maze_connected_and_differ_by_seed():
    spec = {"type": "maze", "corridor_width": 2, "wall_width": 1}
    a, b = generate(spec, 22, 16, 0), generate(spec, 22, 16, 1)
    assert components(a)[1] == 1 and not np.array_equal(a, b)
    np.testing.assert_array_equal(a, generate(spec, 22, 16, 0))  # same seed, same map


@pytest.mark.parametrize("symmetry", ["horizontal", "vertical", "four_way"])
def test_mirrored_maps_are_symmetric(symmetry):
    grid = generate({"type": "mirror", "symmetry": symmetry, "scene": RANDOM}, 16, 12, 4)
    if symmetry in ("horizontal", "four_way"):
        np.testing.assert_array_equal(grid, grid[:, ::-1])
    if symmetry in ("vertical", "four_way"):
        np.testing.assert_array_equal(grid, grid[::-1])


def test_a_mirrored_team_map_gives_each_copy_its_own_team():
    grid = generate({"type": "mirror", "symmetry": "horizontal", "teams": True, "scene": RANDOM}, 16, 12, 4)
    left, right = grid[:, :8], grid[:, 8:]
    assert (left == "agent.team_1").sum() == 2 and (right == "agent.team_2").sum() == 2
    np.testing.assert_array_equal(np.char.startswith(left, "agent."), np.char.startswith(right, "agent.")[:, ::-1])


def test_make_connected_joins_every_region_by_removing_walls_only():
    child = {"type": "random_objects", "objects": {"wall": 70}}
    before = generate(child, 14, 10, 7)
    assert components(before)[1] > 1
    after = generate({"type": "make_connected", "scene": child}, 14, 10, 7)
    assert components(after)[1] == 1
    assert not ((after == "wall") & (before != "wall")).any()  # nothing added, only walls carved


def test_a_room_grid_has_its_rooms_joined_by_doors():
    grid = generate({"type": "room_grid", "rows": 2, "columns": 3}, 19, 11, 0)
    assert components(grid)[1] == 1
    doorless = grid.copy()
    doorless[:, [6, 12]] = "wall"
    doorless[5, :] = "wall"
    assert components(doorless)[1] == 6  # the rooms themselves, once the door lines are walled
    assert (grid == "empty").sum() == 2 * 3 * 5 * 4 + 7  # six 5x4 rooms and 7 doors


def test_layout_places_children_in_their_areas_and_refuses_one_outside():
    spec = {
        "type": "layout",
        "children": [
            {"scene": {"type": "maze"}, "where": {"x": 0, "y": 0, "width": 9, "height": 9}},
            {
                "scene": {"type": "inline_ascii", "data": ["_m", "@n"]},
                "where": {"x": 10, "y": 1, "width": 3, "height": 3},
            },
        ],
    }
    grid = generate(spec, 14, 10, 0)
    assert grid[1, 10] == "altar" and grid[2, 10] == "agent.agent" and grid[2, 11] == "generator_red"
    assert components(grid[:9, :9])[1] == 1
    spec["children"][1]["where"]["x"] = 12
    with pytest.raises(SceneError, match=r"child 1 \(inline_ascii\): area 3x3 at \(12, 1\) leaves the 14x10 map"):
        generate(spec, 14, 10, 0)


def test_ascii_maps_name_unknown_characters_by_line_and_column(tmp_path):
    grid = generate({"type": "ascii_file", "path": "two_rooms.map"}, 15, 7, 0)  # shipped in configs/maps
    assert grid[1, 1] == "agent.agent" and grid[3, 4] == "altar" and (grid == "altar").sum() == 3
    with pytest.raises(SceneError, match=r"unknown map character '\?' at line 2, column 3"):
        generate({"type": "inline_ascii", "data": ["###", "#.?"]}, 5, 5, 0)
    with pytest.raises(SceneError, match=r"a 15x7 map does not fit in a 8x8 area"):
        generate({"type": "ascii_file", "path": "two_rooms.map"}, 8, 8, 0)
    with pytest.raises(SceneError, match="no map file 'nope.map'"):
        generate({"type": "ascii_file", "path": "nope.map"}, 8, 8, 0)


def test_scenes_that_cannot_place_what_they_are_asked_name_the_numbers():
    with pytest.raises(SceneError, match=r"scene 'random_objects': 30 objects and agents do not fit in 25 free cells"):
        generate({"type": "random_objects", "agents": 30}, 5, 5, 0)
    with pytest.raises(SceneError, match=r"scene 'room_grid': 3x3 rooms with walls of 1 do not fit in a 6x6 area"):
        generate({"type": "room_grid", "rows": 3, "columns": 3}, 6, 6, 0)
    with pytest.raises(SceneError, match=r"map 300x10: each side must be 1..255"):
        generate({"type": "maze"}, 300, 10, 0)
    with pytest.raises(ConfigError, match=r"unknown type 'mazes' \(closest: maze"):
        generate({"type": "mazes"}, 10, 10, 0)
    with pytest.raises(ConfigError, match="corridor_width"):
        generate({"type": "maze", "corridor_width": 0}, 10, 10, 0)


def scene_game(**map_builder) -> GameConfig:
    return GameConfig.model_validate(
        {
            "num_agents": 2,
            "objects": {"wall": {}, "altar": {}},
            "actions": {"move": True, "get_items": True},
            "map_builder": {
                "type": "scene",
                "width": 15,
                "height": 11,
                "border_width": 1,
                "scene": {"type": "make_connected", "scene": RANDOM},
                **map_builder,
            },
        }
    )


def test_a_scene_map_builds_the_env_it_describes():
    game = scene_game(seed=3, maps=1)
    env = MettaGridVecEnv(MettaGridConfig(label="scene", game=game))
    env.reset()
    rows = env.render_ascii(0).splitlines()
    (names,) = game.map_builder.grids().values()
    assert rows == ascii_rows(names)
    assert names[1][1:-1] == generate({"type": "make_connected", "scene": RANDOM}, 13, 9, 3)[0].tolist()
    with pytest.raises(ValueError, match=r"map_builder.scene: 'altar' \(first at row"):
        GameConfig.model_validate(
            {**game.model_dump(), "objects": {"wall": {}}, "map_builder": game.map_builder.model_dump()}
        )


def test_each_reset_draws_one_of_the_maps_of_the_builders_seeds():
    game = scene_game(seed=3, maps=6)
    grids = game.map_builder.grids()
    assert list(grids) == [3, 4, 5, 6, 7, 8]  # six seeds, six different maps
    drawn = {"\n".join(ascii_rows(grid)): seed for seed, grid in grids.items()}
    env = MettaGridVecEnv(MettaGridConfig(label="scene", game=game), seed=11)
    seen = []
    for _ in range(120):
        env.reset()
        seen.append(drawn[env.render_ascii(0)])  # a KeyError would be a map no seed made
    counts = np.bincount(seen, minlength=9)[3:]
    assert counts.min() >= 8  # each about 20 of 120 (P(some map < 8) < 1e-3)
    again = MettaGridVecEnv(MettaGridConfig(label="scene", game=game), seed=11)
    replayed = []
    for _ in range(20):
        again.reset()
        replayed.append(drawn[again.render_ascii(0)])
    assert replayed == seen[:20]  # the env's seed decides the draws


def test_a_scene_that_ignores_its_seed_makes_one_map_and_bad_maps_are_refused(tmp_path):
    (tmp_path / "room.map").write_text("#####\n#@._#\n#._@#\n#####\n")
    game = scene_game(
        width=5, height=4, border_width=0, scene={"type": "ascii_file", "path": str(tmp_path / "room.map")}
    )
    assert list(game.map_builder.grids()) == [0]
    with pytest.raises(
        ValueError, match=r"maps: 1024 maps of 255x255 cells exceed 4194304 cells in all; use at most 64"
    ):
        scene_game(width=255, height=255, maps=1024)
    with pytest.raises(ValueError, match=r"the map of seed 2 \(of 1\.\.4\): scene 'bsp': 8 rooms of at least 3"):
        scene_game(width=22, height=17, seed=1, maps=4, scene={"type": "bsp", "rooms": 8})  # seed 1 fits, 2 not


def neighbours(grid: np.ndarray) -> np.ndarray:
    """Empty 4-neighbours of each cell."""
    free = np.pad(grid == "empty", 1)
    return free[:-2, 1:-1].astype(int) + free[2:, 1:-1] + free[1:-1, :-2] + free[1:-1, 2:]


def test_a_spiral_is_one_corridor_from_the_edge_to_the_centre():
    grid = generate({"type": "spiral"}, 15, 11, 0)
    degree = neighbours(grid)[grid == "empty"]
    assert components(grid)[1] == 1 and degree.max() == 2 and (degree == 1).sum() == 2  # a path, two ends


def test_a_radial_maze_has_its_arms_from_a_connected_centre():
    grid = generate({"type": "radial_maze", "arms": 8}, 15, 15, 0)
    assert components(grid)[1] == 1
    ends = np.argwhere((grid == "empty") & (neighbours(grid) == 1))
    assert len(ends) == 8 and all(abs(np.hypot(r - 7, c - 7) - 6) < 1 for r, c in ends)  # arms of radius 6


def test_bsp_rooms_are_joined_and_refused_when_they_cannot_fit():
    grid = generate({"type": "bsp", "rooms": 5}, 30, 16, 2)
    assert components(grid)[1] == 1 and (grid == "empty").sum() > 5 * 9
    with pytest.raises(SceneError, match=r"scene 'bsp': 8 rooms of at least 3 cells do not fit"):
        generate({"type": "bsp", "rooms": 8}, 12, 12, 0)


def test_instances_tile_copies_with_one_team_each():
    spec = {"type": "instances", "count": 4, "teams": True, "scene": {"type": "random_objects", "agents": 2}}
    grid = generate(spec, 13, 9, 2)
    assert (grid[4] == "wall").all() and (grid[:, 6] == "wall").all()  # the borders between copies
    for team, (rows, cols) in enumerate([(slice(0, 4), slice(0, 6)), (slice(0, 4), slice(7, 13))], start=1):
        assert (grid[rows, cols] == f"agent.team_{team}").sum() == 2


def sample_windows(sample: list[str], n: int = 3) -> set[bytes]:
    from metta_lit.env.mapgen.patterns import sample_array, windows

    return {window.tobytes() for window in windows(sample_array(None, sample), n)}


def map_windows(grid: np.ndarray, n: int = 3) -> list[bytes]:
    walls = grid == "wall"
    h, w = walls.shape
    return [walls[r : r + n, c : c + n].tobytes() for r in range(h - n + 1) for c in range(w - n + 1)]


def test_wave_function_collapse_makes_only_windows_of_its_sample():
    from metta_lit.env.mapgen.wfc import DEFAULT_SAMPLE

    grid = generate({"type": "wfc"}, 24, 14, 5)
    allowed = sample_windows(DEFAULT_SAMPLE)
    assert all(window in allowed for window in map_windows(grid))
    np.testing.assert_array_equal(grid, generate({"type": "wfc"}, 24, 14, 5))


def test_convchain_makes_the_samples_windows_far_more_often_than_noise():
    from metta_lit.env.mapgen.convchain import DEFAULT_SAMPLE

    allowed = sample_windows(DEFAULT_SAMPLE)
    grid = generate({"type": "convchain", "iterations": 4}, 24, 16, 1)
    noise = np.where(np.random.default_rng(1).random((16, 24)) < 0.5, "wall", "empty")
    share = np.mean([w in allowed for w in map_windows(grid)])
    assert share > 2 * np.mean([w in allowed for w in map_windows(noise)]) and share > 0.3


def test_a_cell_name_too_long_for_the_grid_is_refused_not_cut():
    with pytest.raises(SceneError, match="longer than 24 characters"):
        generate({"type": "random_objects", "agents": {"a_group_with_a_very_long_name": 1}}, 5, 5, 0)


@pytest.mark.parametrize(
    "scene, message",
    [
        (
            {"type": "random_objects", "objects": {"altar": 10**18}},
            "objects.altar: Input should be less than or equal to 65025",
        ),
        ({"type": "random_objects", "agents": 10**12}, "less than or equal to 65025"),
        # within the bound, but more than the map holds: refused before a list of names is built
        (
            {"type": "random_objects", "objects": {"altar": 60000}, "agents": 5000},
            "65000 objects and agents do not fit in 100 free cells",
        ),
    ],
)
def test_object_counts_are_checked_before_anything_is_allocated(scene, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        generate(scene, 10, 10)


def test_scenes_nested_past_the_bound_get_a_clear_error(tmp_path):
    scene = {"type": "random_objects", "objects": {"altar": 1}}
    for _ in range(40):
        scene = {"type": "mirror", "scene": scene}
    with pytest.raises(ConfigError, match="nested more than 32 mappings deep"):
        generate(scene, 10, 10)
    # 3,000 levels: PyYAML itself recurses too deep to read the file
    text = "{type: random_objects, objects: {altar: 1}}"
    for _ in range(3000):
        text = "{type: mirror, scene: " + text + "}"
    (tmp_path / "deep.yaml").write_text(text)
    run = subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", "map", "show", str(tmp_path / "deep.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and run.stderr.strip().endswith("the config is nested too deeply to read"), run.stderr
    assert "Traceback" not in run.stderr
