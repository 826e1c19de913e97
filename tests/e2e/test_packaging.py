"""A non-editable install ships what the CLI needs: the compiled env and the shipped configs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_holds_the_native_env_and_every_shipped_config(tmp_path):
    proc = subprocess.run(
        # Without build isolation (the dev set-up has the build tools), the build folder of the
        # editable install is reused: a minute of compiling saved.
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    [wheel] = list(tmp_path.glob("metta_lit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"metta_lit/configs/{p.relative_to(ROOT / 'configs')}" for p in (ROOT / "configs").rglob("*.yaml")}
    assert shipped and shipped <= names
    assert any(n.startswith("metta_lit/_mettagrid") and n.endswith(".so") for n in names)
