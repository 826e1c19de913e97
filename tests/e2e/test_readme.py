"""Every command of the README and the docs, in order, as a new user would type them (with
small budgets): the README's, then each docs page's in the site's navigation order (mkdocs.yml).

Shell commands come from the ```bash blocks and Python from the ```python blocks; a shell
command that appears on two pages (or twice as the test adapts it) runs once;
they run in one scratch directory (``configs/`` linked in), so later commands use what
earlier ones wrote (``train_dir/my_run``, ``stats.duckdb``, ``replays/``); ``notebooks/`` is linked in too. Only these are
changed: ``metta-lit`` runs this interpreter's module, training budgets, episode lengths and
evaluations' episode counts shrink, the setup, ``make ci`` and ``make test`` lines are skipped (setup already ran; this is the test run), GPU lines
are skipped without a GPU, the interactive ``play`` is left to the tmux test and the validation
suites to their own test (CI's: tests/recipes/test_ci_suite.py) and the stable runs, sweeps, experiments and Ray to their own tests; cluster
launches print their commands (``--dry-run``); commands that serve the web app until
interrupted run on a free port until the addresses they print answer, then get Ctrl-C.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def pages() -> list[Path]:
    """The README, then the docs pages in the site's navigation order."""
    import yaml

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    return [README, *(ROOT / "docs" / next(iter(entry.values())) for entry in nav)]


METTA_LIT = f"{shlex.quote(sys.executable)} -m metta_lit.cli"
MARIMO = shlex.quote(str(Path(sys.executable).with_name("marimo")))
# 8 envs: a navigation epoch is 1,024 agent steps in 32 vector steps (the collector's cost per
# vector step, not per agent step, dominates a run this small), an arena epoch 6,144.
SMALL_FIT = (
    " --model.init_args.num_envs 8 --model.init_args.total_timesteps 6000 --model.init_args.eval_envs 1"
    " --trainer.check_val_every_n_epoch 1000 --evaluator.evaluate_interval 0"
)
SMALL_RUN = (
    " num_envs=8 total_timesteps=6000 eval_envs=1 trainer.check_val_every_n_epoch=1000 evaluator.evaluate_interval=0"
)
FEW_EPISODES = " --episodes 2"  # evaluations: two episodes of each simulation instead of its own count
SHORT_EPISODES = """ --model.init_args.eval_envs 1 --model.init_args.env_overrides '{"game.max_steps": 60}'"""


def blocks(language: str) -> list[tuple[Path, str]]:
    """(page, block) of every ```language block, pages in order."""
    return [
        (page, block) for page in pages() for block in re.findall(rf"```{language}\n(.*?)```", page.read_text(), re.S)
    ]


def shell_commands() -> list[str]:
    """README shell lines with continuations joined and trailing comments dropped."""
    commands = []
    for _, block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s#\s", line, maxsplit=1)[0].strip()
            if line and line not in commands:
                commands.append(line)
    return commands


def serves(command: str) -> bool:
    """Whether the command serves the web app until interrupted."""
    return " serve " in f"{command} " or "--open true" in command


def run_serving(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs a serving command until every address it prints answers with a page, then Ctrl-C,
    which ends it quietly: no traceback, and status 0 (the server shut down) or 130 (the
    shell's status for SIGINT, when the signal arrives before the server handles it)."""
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and (line := proc.stdout.readline()):
            lines.append(line)
            if line.startswith("viewer: " if "--open true" in command else "metta-lit serve: "):
                break
        addresses = [word for line in lines for word in line.split() if word.startswith("http://")]
        assert addresses, f"no address printed: {''.join(lines)}"
        for address in addresses:
            with urllib.request.urlopen(address, timeout=30) as page:
                assert page.status == 200 and b"<html" in page.read().lower(), address
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    out = "".join(lines) + out
    assert proc.returncode in (0, 128 + signal.SIGINT) and "Traceback" not in out, out[-3000:]
    return subprocess.CompletedProcess(command, 0, out, "")


def adapt(command: str) -> str | None:
    """The command as the test runs it, or None to skip it (see the module docstring)."""
    if command.startswith("bash scripts/setup.sh && "):
        command = command.removeprefix("bash scripts/setup.sh && ")
    if command.startswith(("source ", "make ci", "make test")):
        return None
    if "--trainer.accelerator gpu" in command and not torch.cuda.is_available():
        return None
    if command.startswith("metta-lit run ") and command.split()[2] in ("ci", "stable"):
        return None  # the suites: test_ci_suite.py runs CI's; the stable one takes hours
    if command.startswith(("metta-lit sweep", "metta-lit experiment")) or "--ray_address" in command:
        return None  # hours of runs, or a Ray cluster: test_sweep.py, tests/experiments and test_distributed_eval.py run them small
    if command.startswith("python scripts/launch.py"):  # cluster launches: print what each would run
        launch = f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'scripts' / 'launch.py'))}"
        return command.replace("python scripts/launch.py", f"{launch} --dry-run", 1)
    command = re.sub(r"^(\.venv/bin/)?metta-lit\b", METTA_LIT, command)
    command = re.sub(r"^marimo\b", MARIMO, command)
    if serves(command):
        return f"{command} --port 0"
    if " play " in command and not ("--render log" in command or "render=log" in command):
        return None
    if " run train " in command and "--print_config" not in command and "--dry-run" not in command:
        command += SMALL_RUN
    if " fit " in command and "--print_config" not in command:
        command += SMALL_FIT
    if " validate " in command:
        command += SHORT_EPISODES
    if " evaluate " in command:
        command += FEW_EPISODES.replace(" --episodes ", " episodes=") if " run evaluate " in command else FEW_EPISODES
    return command


def test_readme_has_the_commands_a_user_needs():
    commands = shell_commands()
    for needed in (
        "bash scripts/setup.sh && .venv/bin/metta-lit fit",
        "metta-lit evaluate",
        "metta-lit analyze",
        "metta-lit replay",
        "metta-lit play",
        "metta-lit validate",
        "--ckpt_path last",
        "metta-lit serve",
        "--open true",
        "marimo export html notebooks/analysis.py",
        "metta-lit sweep --config configs/sweeps/navigation.yaml",
        "scripts/launch.py --sbatch",
        "--workers 2",
        "--splits 1v3 2v2",
        "--crossplay --leaderboard",
        "metta-lit compare",
        "metta-lit verify",
        "--model.init_args.partner_share",
    ):
        assert any(needed in c for c in commands), needed
    for page in pages():
        assert "../shared" not in page.read_text(), page  # the docs stand alone
    assert len(README.read_text().splitlines()) <= 200  # the front door; the rest is in docs/


def test_the_docs_site_builds_strictly(tmp_path):
    """mkdocs --strict: every page in the nav, every link and image found."""
    mkdocs = Path(sys.executable).with_name("mkdocs")
    run = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "site" / "learning" / "index.html").exists()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_readme_command_runs_in_order(tmp_path):
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    (tmp_path / "notebooks").symlink_to(ROOT / "notebooks")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("METTA_LIT_DATA_DIR", None)
    env.pop("METTA_LIT_RUN", None)  # each command names its own default run, as a user's shell would
    ran, adapted_ran = [], set()
    for command in shell_commands():
        adapted = adapt(command)
        if adapted is None or adapted in adapted_ran:
            continue  # skipped, or the same as one that ran (the Quick start's line less its setup)
        adapted_ran.add(adapted)
        if serves(adapted):
            proc = run_serving(adapted, tmp_path, env)
        else:
            proc = subprocess.run(
                ["bash", "-c", adapted], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
            )
        assert proc.returncode == 0, f"README command failed: {command}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        ran.append((command, proc.stdout + proc.stderr))
    outputs = dict(ran)
    assert len(ran) >= 12
    assert not (tmp_path / "lightning_logs").exists() and not (tmp_path / "config.yaml").exists()  # not in the cwd
    replays_line = next(out for cmd, out in ran if "validate" in cmd and "--replay_dir" in cmd)
    assert f"written to {tmp_path / 'replays'}" in replays_line
    assert (
        "scorecard (reward) written to scorecard.png"
        in outputs["metta-lit analyze --stats_db stats.duckdb --metrics reward 'heart.*' --scorecard scorecard.png"]
    )
    assert "identical (" in next(out for cmd, out in ran if cmd.startswith("metta-lit verify"))
    assert "A better" in next(out for cmd, out in ran if cmd.startswith("metta-lit compare"))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for page, code in blocks("python"):
            exec(compile(code, str(page.relative_to(ROOT)), "exec"), {})  # the pages' own Python examples
    finally:
        os.chdir(cwd)
