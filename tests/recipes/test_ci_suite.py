"""The recipes' CI suite, as `make suite` runs it: train the arena briefly, evaluate its
':latest' policy, write a replay and play it in the terminal's log mode (slow: about a minute)."""

from __future__ import annotations

import pytest
from conftest import metta_lit


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_ci_suite_passes_every_job(tmp_path):
    out = metta_lit("run", "ci", cwd=tmp_path, timeout=550).stdout
    assert "ci suite" in out, out[-3000:]
    for job in ("train", "evaluate", "replay", "play"):
        assert any(line.strip("│ ").startswith(job) and "pass" in line for line in out.splitlines()), (job, out[-3000:])
    assert "FAIL" not in out
