"""The package layout keeps its promises: importing a package loads only what its layer needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [
    "core", "env", "policy", "curriculum", "rl", "checkpoints", "runs", "losses", "evaluation",
    "train", "sweep", "web", "commands", "recipe_api", "recipes", "cli",
]  # fmt: skip
HEAVY = {"compiled env": "metta_lit._mettagrid", "web stack": "starlette", "Lightning's CLI": "jsonargparse"}
# The packages whose import needs one of them: training builds envs when a module is made,
# and the commands' registry builds their parsers with jsonargparse.
NEEDS = {"train": {"compiled env"}, "commands": {"Lightning's CLI"}}


def loaded_by(*modules: str) -> dict[str, list[str]]:
    """What importing each module alone, in a fresh interpreter, loads of :data:`HEAVY` (the
    interpreters run side by side)."""
    probe = "import sys, json, %s; print(json.dumps([k for k, m in " + repr(HEAVY) + ".items() if m in sys.modules]))"
    procs = {
        module: subprocess.Popen([sys.executable, "-c", probe % module], stdout=subprocess.PIPE, text=True)
        for module in modules
    }
    out = {}
    for module, proc in procs.items():
        stdout, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, module
        out[module] = json.loads(stdout.splitlines()[-1])
    return out


@pytest.mark.slow
def test_importing_a_package_alone_loads_only_what_its_layer_needs():
    loaded = loaded_by(*(f"metta_lit.{package}" for package in PACKAGES))
    for package in PACKAGES:
        assert set(loaded[f"metta_lit.{package}"]) <= NEEDS.get(package, set()), package


@pytest.mark.slow
def test_reading_policy_files_and_serving_replays_load_neither_the_env_nor_the_cli():
    """A policy file names its class by path: loading it imports the policy package only. The
    web app reads replays and runs as data; live play loads the env when a game starts."""
    loaded = loaded_by("metta_lit.checkpoints.manager", "metta_lit.policy.scripted", "metta_lit.web.app")
    assert loaded == {
        "metta_lit.checkpoints.manager": [],
        "metta_lit.policy.scripted": [],
        "metta_lit.web.app": ["web stack"],
    }


def test_the_layer_contracts_hold():
    """The import-linter contracts in pyproject.toml (also run by `make lint`)."""
    proc = subprocess.run([Path(sys.executable).parent / "lint-imports"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in proc.stdout
