"""The analysis notebook runs headless (``marimo export html``) over a stats DB built here."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from metta_lit.evaluation.stats_db import EvalStatsDB
from tests.conftest import ROOT
from tests.web_site import write_evaluation

NOTEBOOK = ROOT / "notebooks" / "analysis.py"


def export(db: Path, out: Path) -> subprocess.CompletedProcess:
    marimo = Path(sys.executable).with_name("marimo")
    return subprocess.run(
        [str(marimo), "export", "html", str(NOTEBOOK), "-o", str(out), "-f", "--", "--stats_db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def plain(page: str) -> str:
    """The export's text with its JSON and HTML escaping undone (and quotes dropped)."""
    return html.unescape(html.unescape(page.replace("\\u0026", "&"))).replace("\\", "").replace('"', "")


def table_rows(page: str) -> list[str]:
    """The metric table's rows, as ``policy:...,simulation:...,mean:...``."""
    return re.findall(r"\{policy:[^}]*\}", plain(page))


def test_the_notebook_shows_the_table_scorecard_and_distributions(tmp_path):
    db = tmp_path / "stats.duckdb"
    write_evaluation(str(db), "alpha", 1, 1.0)
    write_evaluation(str(db), "beta", 2, 0.3)
    write_evaluation(str(db), "beta", 2, 0.7, sim="arena")
    stats = EvalStatsDB(str(db))
    assert stats.episode_means(("beta", 2), "suite/arena", "reward") == [pytest.approx(0.7)]
    assert stats.episode_means(("beta", 2), "suite/arena", "heart.gained") == [0.0]  # never recorded: 0
    out = tmp_path / "report.html"
    proc = export(db, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # a failing cell fails the export
    page = out.read_text()
    assert table_rows(page) == [
        "{policy:alpha:v1,simulation:suite/nav,mean:1.0,std:0.0,agent-episodes:2}",
        "{policy:beta:v2,simulation:suite/arena,mean:0.7,std:0.0,agent-episodes:2}",
        "{policy:beta:v2,simulation:suite/nav,mean:0.3,std:0.0,agent-episodes:2}",
    ]
    assert page.count("data:image/png;base64") == 2  # the scorecard and the per-episode box plots
    assert str(db) in plain(page) and "2 policies, 2 simulations, 3 episodes" in plain(page)


def test_a_missing_stats_db_fails_the_export_by_name(tmp_path):
    proc = export(tmp_path / "nowhere.duckdb", tmp_path / "r.html")
    assert proc.returncode != 0 and "no such stats database" in proc.stdout + proc.stderr


def test_the_notebook_shows_cooperation_metrics_of_team_evaluations(tmp_path):
    db = tmp_path / "stats.duckdb"
    write_evaluation(
        str(db), "pair", 1, 2.0, sim="coop", episode_metrics={"coop/team_1/return": 4.0, "coop/team_1/gini": 0.25}
    )
    out = tmp_path / "report.html"
    proc = export(db, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = plain(out.read_text())
    assert "Cooperation" in page
    assert "{policy:pair:v1,simulation:suite/coop,metric:coop/team_1/gini,mean:0.25}" in page
    assert "{policy:pair:v1,simulation:suite/coop,metric:coop/team_1/return,mean:4.0}" in page
