"""Under CI a test whose tool is missing fails: nothing there passes without running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require, require_module

ROOT = Path(__file__).resolve().parents[1]


def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match=r"needs chromium \(CI runs every test\)"):
        require(False, "needs chromium")
    with pytest.raises(pytest.fail.Exception, match=r"needs no_such_module \(pip install -e '.\[dev\]'\)"):
        require_module("no_such_module")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="needs chromium"):
        require(False, "needs chromium")
    require(True, "never said")


def test_ci_runs_with_ci_set_and_a_bare_pytest_collects(tmp_path):
    assert "export CI=1" in (ROOT / ".ci" / "run").read_text()
    # A bare `pytest` (not `python -m pytest`) from the checkout: tests.web_site, a plugin of
    # tests/conftest.py, must import without the current folder on sys.path.
    pytest_bin = Path(sys.executable).with_name("pytest")
    run = subprocess.run(
        [str(pytest_bin), "--collect-only", "-q", "tests/test_layout.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert run.returncode == 0 and "Error importing plugin" not in run.stdout + run.stderr, run.stdout + run.stderr
