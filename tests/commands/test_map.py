"""``metta-lit map show``: envs, map files and scene files printed (and drawn) before training."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml
from conftest import full_disk, metta_lit, unwritable_folder

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


def test_a_seed_out_of_range_is_one_line(tmp_path):
    for seed in ("-1", str(2**64)):
        run = metta_lit("map", "show", "arena", "--seed", seed, cwd=tmp_path, check=False)
        assert (
            run.returncode == 1
            and run.stderr.strip() == f"metta-lit map: error: --seed: must be in [0, 2**64), got {seed}"
        )


def test_a_png_that_cannot_be_written_is_one_line_and_leaves_no_file(tmp_path):
    with unwritable_folder(tmp_path / "ro") as folder:
        run = metta_lit("map", "show", "navigation", "--png", str(folder / "map.png"), cwd=tmp_path, check=False)
        reasons = ("cannot write the image (Read-only file system", "cannot write the image (Permission denied")
        assert run.returncode == 1 and any(reason in run.stderr for reason in reasons), run.stderr
        assert "Traceback" not in run.stderr and list(folder.iterdir()) == []
    full = tmp_path / "full"
    full.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", "map", "show", "arena", "--png", str(full / "map.png")],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=full_disk,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert run.returncode == 1 and "cannot write the image (File too large)" in run.stderr, run.stderr
    assert list(full.iterdir()) == []  # the partial temp file is removed
