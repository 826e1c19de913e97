"""The play, replay and analyze commands: log mode, a real terminal, replay files, scorecards."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime

import pytest
from conftest import NAV, metta_lit, refused, require
from rich.console import Console

from metta_lit.commands.analyze import analyze
from metta_lit.core.errors import ConfigError
from metta_lit.env.replay import load_replay
from metta_lit.evaluation.records import EpisodeRecord, SimulationRecord
from metta_lit.evaluation.stats_db import EvalStatsDB


def test_play_in_log_mode_runs_n_steps(tmp_path):
    out = metta_lit("play", "--config", "navigation", "--render", "log", "--steps", "7", cwd=tmp_path).stdout
    assert out.count("step ") == 8  # a frame before each of the 7 steps, and the final one
    assert "step 7/200" in out and "episode over after 7 steps" in out
    assert "agent 3:" in out


def test_play_with_the_keyboard_in_a_terminal(tmp_path):
    require(shutil.which("tmux") is not None, "needs tmux for a real terminal (scripts/setup.sh installs it)")
    session = f"metta-play-{os.getpid()}"
    log = tmp_path / "play.out"
    cmd = f"{sys.executable} -m metta_lit.cli play --config navigation --agent 1 > /dev/tty; echo EXIT=$? > {log}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "45", cmd], check=True)
    try:

        def screen() -> str:
            return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout

        deadline = time.time() + 60
        while "step 0/200" not in screen() and time.time() < deadline:
            time.sleep(0.2)
        for key in ("d", "s", "Space"):
            subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)
            time.sleep(0.5)
        deadline = time.time() + 20
        while "step 3/200" not in screen() and time.time() < deadline:
            time.sleep(0.2)
        assert "step 3/200" in screen() and "you:" in screen()
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.time() + 20
        while not log.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert log.read_text().strip() == "EXIT=0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


@pytest.mark.slow
def test_replay_command_writes_one_loadable_episode(trained, tmp_path):
    out = metta_lit(
        "replay", "--policy_uri", str(trained), "--config", NAV, "--replay_dir", str(tmp_path / "r"), cwd=tmp_path
    ).stdout
    [path] = list((tmp_path / "r").glob("*.json.z"))
    assert f"replay written to file://{path}" in out
    replay = load_replay(str(path))
    assert replay["max_steps"] == 200 and replay["mg_config"]["label"] == "navigation"


def test_analyze_says_when_a_pattern_matches_nothing(tmp_path):
    db_path = str(tmp_path / "s.duckdb")
    now = datetime.now()
    episode = EpisodeRecord("e1", "s1", 3, now, {}, [0], [{"reward": 2.0, "ore_red.gained": 1.0}], [("p", 1)])
    EvalStatsDB(db_path).write([SimulationRecord("s1", "suite", "sim", "p", 1, now, now, [episode])])
    out = io.StringIO()
    analyze(db_path, ["reward", "heart.*"], None, console=Console(file=out, width=300))
    assert "no metric matches 'heart.*'; the database has: ore_red.gained, reward" in out.getvalue()
    with pytest.raises(ConfigError, match=r"no metric matches 'heart.\*', 'laser'"):
        analyze(db_path, ["heart.*", "laser"], None, console=Console(file=io.StringIO()))


def test_the_scorecard_fits_long_names_title_and_colorbar_label(tmp_path):
    import matplotlib.colors

    from metta_lit.commands.analyze import MISSING_COLOUR, scorecard_figure

    db_path = str(tmp_path / "s.duckdb")
    now = datetime.now()
    sims = []
    for k, key in enumerate(["a" * 70, "local.someone.20261125.101010_with_a_long_suffix"]):
        episode = EpisodeRecord(f"e{k}", f"s{k}", 3, now, {}, [0], [{"reward": float(k)}], [(key, 12)])
        sims.append(
            SimulationRecord(
                f"s{k}", "suite_with_a_long_name", f"simulation_{k}" + "x" * 40, key, 12, now, now, [episode]
            )
        )
    db = EvalStatsDB(db_path)
    db.write(sims)
    fig = scorecard_figure(db, "reward")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = [t for ax in fig.axes for t in (ax.title, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels())]
    for text in texts:
        if text.get_text():
            extent = text.get_window_extent(renderer)
            assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, text.get_text()
            assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, text.get_text()
    heatmap = fig.axes[0].get_window_extent(renderer)
    assert heatmap.width > 0.25 * box.width  # the labels do not squeeze the heatmap away
    assert all(len(t.get_text()) <= 28 for t in fig.axes[0].get_yticklabels())
    # Each policy played one simulation: the other cell is missing, drawn grey with '-', never as a 0.
    drawn = fig.axes[0].images[0].get_array()  # rows: policies a..., local...; columns: simulation_0, _1
    assert drawn.mask.tolist() == [[False, True], [True, False]]
    rgba = fig.axes[0].images[0].to_rgba(drawn)
    assert tuple(rgba[0, 1]) == matplotlib.colors.to_rgba(MISSING_COLOUR) != tuple(rgba[0, 0])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["-", "-", "0.00", "1.00"]


def test_play_refuses_a_negative_step_count(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    message = refused(capsys, "play", "--config", "navigation", "--render", "log", "--steps", "-3")
    assert "--steps: must be >= 1, got -3" in message
