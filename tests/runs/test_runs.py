"""A run's metrics history: window means per agent-episode, and scripts/learning_curve.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from metta_lit.runs import History, HistoryError
from tests.conftest import ROOT

CSV = (
    "step,overview/agent_steps,overview/episodes,episode/reward,env_agent/heart.gained,overview/sps,val/reward\n"
    "0,500000,2,1.0,0.5,100,\n"
    "1,1000000,6,2.0,,300,\n"  # 6 episodes, no heart: zeros
    "2,1500000,,,,200,\n"  # no episode ended: not a zero
    ",,,,,,4.0\n"  # validation: at the last step seen
    "3,2000000,4,3.0,1.0,400,\n"
)


def test_window_means_are_per_agent_episode_and_count_a_missing_stat_as_zero():
    curve = History.parse(CSV).window_means(["episode/reward", "env_agent/heart.gained", "overview/sps", "val/reward"])
    assert curve["steps"] == [1e6, 2e6]
    assert curve["episode/reward"] == pytest.approx([(2 * 1.0 + 6 * 2.0) / 8, 3.0])
    assert curve["env_agent/heart.gained"] == pytest.approx([2 * 0.5 / 8, 1.0])
    assert curve["overview/sps"] == pytest.approx([200, 300])  # plain means of the rows
    assert curve["val/reward"] == [None, 4.0]
    history = History.parse(CSV)
    assert history.final_mean("env_agent/heart.gained", 1e6) == pytest.approx(1.0)
    assert history.final_mean("env_agent/heart.gained", 2e6) == pytest.approx((2 * 0.5 + 4 * 1.0) / 12)


def test_a_history_that_is_not_a_metrics_file_is_an_error(tmp_path):
    with pytest.raises(HistoryError, match="not a metrics CSV"):
        History.parse("a,b\n" + "x" * 200_000 + ",1\n")
    big = tmp_path / "metrics.csv"
    big.write_text("a\n" + "1\n" * 100)
    with pytest.raises(HistoryError, match="limit"):
        History.read(big, max_bytes=50)
    assert len(History.read(tmp_path / "nothing")) == 0


def test_learning_curve_prints_the_table_and_writes_json_and_png(tmp_path):
    (tmp_path / "run" / "logs").mkdir(parents=True)
    (tmp_path / "run" / "logs" / "metrics.csv").write_text(CSV)
    script = [sys.executable, str(ROOT / "scripts" / "learning_curve.py"), str(tmp_path / "run")]
    metrics = ["--metrics", "episode/reward", "env_agent/heart.gained"]
    out = subprocess.run(
        [*script, *metrics, "--json", str(tmp_path / "c.json"), "--png", str(tmp_path / "c.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "1,000,000-2,000,000" in out and "1.750" in out  # the first window's reward
    curve = json.loads((tmp_path / "c.json").read_text())
    assert curve["steps"] == [1e6, 2e6] and curve["env_agent/heart.gained"] == pytest.approx([0.125, 1.0])
    assert set(curve) == {"run", "every", "steps", "episode/reward", "env_agent/heart.gained"}
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Without --metrics: those of the reward and the arena's chain this run logged (a
    # navigation-like run: reward and hearts, no ore or battery).
    default = subprocess.run([*script, "--json", str(tmp_path / "d.json")], capture_output=True, text=True, check=True)
    assert set(json.loads((tmp_path / "d.json").read_text())) >= {"episode/reward", "env_agent/heart.gained"}
    assert "ore_red" not in default.stdout
    bad = subprocess.run([*script, "--metrics", "env_agent/ore_red.gained"], capture_output=True, text=True)
    assert bad.returncode == 2 and "not logged by this run: env_agent/ore_red.gained" in bad.stderr
    partial = subprocess.run([*script, "--every", "1.5e6"], capture_output=True, text=True, check=True).stdout
    assert "1,500,000-2,000,000 (partial)" in partial  # the last window ends where the run stopped
