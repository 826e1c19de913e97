"""``metta-lit map show``: envs, map files and scene files printed (and drawn) before training."""

from __future__ import annotations

import yaml
from conftest import metta_lit

from metta_lit.commands.map import map as show_map

SCENES = {
    "random_objects": {"type": "random_objects", "objects": {"wall": 20, "altar": 2}, "agents": 2},
    "inline_ascii": {"type": "inline_ascii", "data": ["#_#", "@.m"]},
    "ascii_file": {"type": "ascii_file", "path": "two_rooms.map"},
    "maze": {"type": "maze"},
    "room_grid": {"type": "room_grid", "rows": 2, "columns": 2},
    "mirror": {"type": "mirror", "teams": True, "scene": {"type": "random_objects", "agents": 1}},
    "make_connected": {"type": "make_connected", "scene": {"type": "random_objects", "objects": {"wall": 200}}},
    "bsp": {"type": "bsp", "rooms": 3},
    "radial_maze": {"type": "radial_maze", "arms": 6},
    "spiral": {"type": "spiral"},
    "instances": {"type": "instances", "count": 4, "teams": True, "scene": {"type": "random_objects", "agents": 1}},
    "wfc": {"type": "wfc"},
    "convchain": {"type": "convchain", "iterations": 1},
    "layout": {
        "type": "layout",
        "children": [{"scene": {"type": "maze"}, "where": {"x": 2, "y": 2, "width": 9, "height": 9}}],
    },
}


def test_every_scene_type_prints_a_map(tmp_path, capsys):
    from metta_lit.env.mapgen import SCENES as REGISTERED

    assert set(SCENES) == set(REGISTERED)  # a new scene type gets a line here
    for name, scene in SCENES.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(scene))
        rows = show_map("show", str(path), seed=1, width=21, height=15)
        assert len(rows) == 15 and all(len(row) == 21 for row in rows), name
        assert set("".join(rows)) <= set(".#_mn@1234?ABSGLFTobgs"), name
    assert capsys.readouterr().out.count("\n") >= 15 * len(SCENES)


def test_map_show_from_the_command_line_prints_and_draws(tmp_path):
    png = tmp_path / "nav.png"
    out = metta_lit("map", "show", "navigation", "--seed", "2", "--png", str(png), cwd=tmp_path).stdout
    rows = out.splitlines()[:-1]
    assert rows[0] == "#" * len(rows[0]) and sum(row.count("@") for row in rows) == 4
    assert png.stat().st_size > 1000
    out = metta_lit("map", "show", "two_rooms.map", cwd=tmp_path).stdout
    assert out.splitlines()[1] == "#@.....#.....@#"


def test_a_scene_that_cannot_be_made_is_one_line_naming_the_scene_and_the_numbers(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"type": "maze", "corridor_width": 99}))
    proc = metta_lit("map", "show", str(bad), cwd=tmp_path, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "metta-lit map: error: scene 'maze': a 25x25 area holds no cell of corridor 99 between walls of 1"
    ]
