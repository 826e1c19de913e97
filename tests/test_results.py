"""The docs' measured tables are rendered from results files, and stay so."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from metta_lit.core.results import provenance, read_results, spread, write_results

ROOT = Path(__file__).resolve().parents[1]


def results_py(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "results.py"), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_docs_table_matches_its_results_file():
    run = results_py("--check")
    assert run.returncode == 0, run.stdout + run.stderr
    blocks = re.findall(r"<!-- results: ([\w./-]+) -->\n(.*?)<!-- /results -->", _docs(), re.DOTALL)
    assert blocks and all("| " in body and "*Measured " in body for _, body in blocks)
    # Every results file in the repository is shown somewhere.
    shown = {file for file, _ in blocks}
    files = [*(ROOT / "bench_results").glob("*.json"), *(ROOT / "results").glob("*/experiment.json")]
    assert shown == {str(p.relative_to(ROOT)) for p in files}


def _docs() -> str:
    return "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))


def test_a_hand_edited_number_is_found_and_rendering_puts_it_back(tmp_path):
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copytree(ROOT / "bench_results", tmp_path / "bench_results")
    shutil.copytree(ROOT / "results", tmp_path / "results")
    page = tmp_path / "docs" / "benchmarks.md"
    text = page.read_text()
    block = text.index("<!-- results: bench_results/env.json -->")
    number = re.compile(r"\d[\d,]*\d").search(text, block)
    page.write_text(text[: number.start()] + "1" + number.group() + text[number.end() :])
    stale = results_py("--check", root=tmp_path)
    assert stale.returncode == 1 and "benchmarks.md" in stale.stdout and "-| perf" in stale.stdout, stale.stdout
    assert results_py(root=tmp_path).returncode == 0
    assert page.read_text() == text and results_py("--check", root=tmp_path).returncode == 0


def test_a_block_naming_a_missing_or_foreign_file_is_one_clear_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "bench_results").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text("<!-- results: bench_results/env.json -->\n<!-- /results -->\n")
    missing = results_py("--check", root=tmp_path)
    assert missing.returncode != 0 and "bench_results/env.json" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "bench_results" / "env.json").write_text(json.dumps({"perf": 1}))
    foreign = results_py("--check", root=tmp_path)
    assert "not a results file (needs 'provenance' and 'results')" in foreign.stderr
    page.write_text("<!-- results: bench_results/other.json -->\n<!-- /results -->\n")
    (tmp_path / "bench_results" / "other.json").write_text("{}")
    unknown = results_py("--check", root=tmp_path)
    assert "no renderer for results files named 'other'" in unknown.stderr


def test_spread_and_round_trip(tmp_path):
    assert spread([3.0, 1.0, 2.0]) == {"min": 1.0, "median": 2.0, "max": 3.0, "runs": 3}
    assert spread([5.0]) == {"min": 5.0, "median": 5.0, "max": 5.0, "runs": 1}
    with pytest.raises(ValueError, match="at least one sample"):
        spread([])
    path = tmp_path / "r.json"
    write_results(path, {"x": spread([1.0, 2.0])}, threads=2)
    document = read_results(path)
    assert document["results"] == {"x": {"min": 1.0, "median": 1.5, "max": 2.0, "runs": 2}}
    assert set(document["provenance"]) == {"commit", "date", "cpu", "cores", "threads", "command"}
    assert document["provenance"]["threads"] == 2 and document["provenance"]["cores"] >= 1
    assert provenance(None, ["scripts/x.py", "--runs", "3"])["command"] == "python scripts/x.py --runs 3"
    path.write_text("[1, 2")
    with pytest.raises(ValueError, match="invalid JSON"):
        read_results(path)
