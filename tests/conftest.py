"""Helpers for building tiny hand-made envs and driving agents by action name."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from metta_lit.env import GameConfig, MettaGridVecEnv, env_config
from metta_lit.rl.torch_env import MettaGridTorchEnv

pytest_plugins = ["tests.web_site"]  # the `site` fixture of the web tests


def make_game(rows: list[str], **overrides: Any) -> GameConfig:
    """A game on a fixed ASCII map. `actions` defaults to every classic action enabled."""
    num_agents = sum(ch in "@1234" for row in rows for ch in row)
    game: dict[str, Any] = {
        "num_agents": num_agents,
        "max_steps": 1000,
        "objects": {"wall": {}, "block": {}, "mine_red": {}, "generator_red": {}, "altar": {}},
        "actions": {
            "noop": True,
            "move": True,
            "rotate": True,
            "put_items": True,
            "get_items": True,
            "attack": {"consumed_resources": {"laser": 1}, "defense_resources": {"armor": 1}},
            "swap": True,
            "change_color": True,
            "change_glyph": {"number_of_glyphs": 4},
        },
        "map_builder": {"type": "ascii", "map_data": rows},
    }
    game.update(overrides)
    return GameConfig.model_validate(game)


class Driver:
    """Steps one env, naming actions per agent; agents not named do noop."""

    def __init__(self, rows: list[str], seed: int = 0, **overrides: Any) -> None:
        self.env = MettaGridVecEnv(make_game(rows, **overrides), num_envs=1, seed=seed)
        self.env.reset()
        self.ids = {name: i for i, name in enumerate(self.env.action_names)}

    def step(self, *names: str | None) -> np.ndarray:
        actions = np.zeros((1, self.env.num_agents), dtype=np.int32)
        for agent, name in enumerate(names):
            if name is not None:
                actions[0, agent] = self.ids[name]
        self.env.step(actions)
        return self.env.rewards[0].copy()

    def agent(self, i: int = 0) -> dict[str, Any]:
        return [o for o in self.env.grid_objects() if o["type_name"] == "agent" and o["agent_id"] == i][0]

    def obj(self, name: str, k: int = 0) -> dict[str, Any]:
        return [o for o in self.env.grid_objects() if o["type_name"] == name][k]

    def inv(self, obj: dict[str, Any]) -> dict[str, int]:
        names = self.env.resource_names
        return {names[i]: q for i, q in obj["inventory"].items()}

    def give(self, agent: int, resource: str, amount: int) -> None:
        self.env.set_inventory(0, agent, resource, amount)

    def stats(self, agent: int = 0) -> dict[str, float]:
        return self.env.episode_stats()["agent"][agent]


@pytest.fixture
def driver():
    return Driver


class _RunsCode:
    """Unpickling this calls a function of the attacker's choice (here: write a marker file)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def evil_checkpoint(path, marker) -> None:
    """A ``.ckpt`` that would create ``marker`` if anything unpickled it unsafely."""
    torch.save({"state_dict": {}, "epoch": 0, "payload": _RunsCode(str(marker))}, str(path))


# --- the metta-lit CLI on a small navigation run --------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
# Scene envs draw each episode's map from seeds 0-63 unless told otherwise; the learning checks
# score on maps from seed 1000 on, which no training run of theirs saw.
UNSEEN_MAPS = {"game.map_builder.seed": 1000}


def hearts_on_unseen_maps(sim: Any, policy: Any, episodes: int = 32) -> tuple[float, float]:
    """Hearts per agent-episode of a random policy and of ``policy`` on ``sim``'s lesson, played
    on maps of UNSEEN_MAPS (the same seeds for both)."""
    from metta_lit.evaluation.runner import PolicyHandle, run_simulation
    from metta_lit.policy import RandomPolicy

    unseen = sim.model_copy(update={"num_episodes": episodes, "env_overrides": {**sim.env_overrides, **UNSEEN_MAPS}})
    return tuple(
        run_simulation(PolicyHandle(p, name, 0), unseen, seed=5).mean("heart.gained")
        for p, name in ((RandomPolicy({}, []), "random"), (policy, "trained"))
    )


NAV = str(ROOT / "configs" / "navigation.yaml")
# Small, fast settings: 16 envs x 4 agents x 32 steps = 2048 agent steps per epoch.
SMALL = [
    "--model.init_args.num_envs",
    "16",
    "--model.init_args.eval_envs",
    "2",
    "--model.init_args.env_overrides",
    '{"game.max_steps": 20}',
    "--trainer.check_val_every_n_epoch",
    "1000",
]
EPOCH = 16 * 4 * 32


def fit_args(run: str, agent_steps: int | str) -> list[str]:
    """``metta-lit fit`` on the small navigation run: its run name and budget."""
    return [
        "fit",
        "--config",
        NAV,
        *SMALL,
        "--model.init_args.total_timesteps",
        str(agent_steps),
        "--checkpoint.run",
        run,
    ]


def fit_in_process(config: str, agent_steps: int, data_dir: Path, run: str, *extra: str) -> Any:
    """``metta-lit fit`` in this process, quiet (no logger, progress bar, validation or evaluator),
    for ``agent_steps``; returns the LightningCLI, whose ``model.policy`` is the trained policy.
    ``extra`` arguments come right after the config."""
    from metta_lit.cli.trainer import cli

    return cli(
        [
            "fit",
            "--config",
            config,
            *extra,
            "--model.init_args.total_timesteps",
            str(agent_steps),
            "--trainer.logger",
            "false",
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.check_val_every_n_epoch",
            "1000",
            "--evaluator.evaluate_interval",
            "0",
            "--checkpoint.data_dir",
            str(data_dir),
            "--checkpoint.run",
            run,
        ]
    )


def metta_lit(*args: str, cwd: Path, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"metta-lit {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def refused(capsys: pytest.CaptureFixture, *args: str) -> str:
    """``metta-lit ARGS`` run in this process, expected to refuse: its error (what the user
    reads). A process each would be mostly start-up; the command's checks come before any work.
    Fails on a zero exit or a traceback."""
    from metta_lit.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    code = exit_info.value.code
    message = capsys.readouterr().err + ("" if isinstance(code, int) else str(code))
    assert code not in (0, None) and "Traceback" not in message, message[-2000:]
    return message


def read_metrics(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "logs" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def column(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key)]


@pytest.fixture(autouse=True)
def fresh_default_run_name():
    """A run without ``--checkpoint.run`` gets ``local.$USER.<time>``, fixed once per process (so
    DDP children share it) in ``METTA_LIT_RUN``; forgetting it after each test keeps one test's
    default run from becoming the next one's (a resume of the wrong run)."""
    yield
    os.environ.pop("METTA_LIT_RUN", None)


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    """Two versions of a briefly trained navigation policy (trained once per test session)."""
    root = tmp_path_factory.mktemp("train")
    metta_lit(*fit_args("ev", str(2 * EPOCH)), "--checkpoint.checkpoint_interval", "1", cwd=root)
    return root / "train_dir" / "ev" / "checkpoints"


def nav_env(num_envs: int = 2, max_steps: int = 6, **kw) -> MettaGridTorchEnv:
    """The TorchRL navigation env with short episodes."""
    cfg = env_config("navigation")
    cfg.game.max_steps = max_steps
    return MettaGridTorchEnv(cfg, num_envs=num_envs, **kw)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def unwritable_folder(path: Path, files: dict[str, bytes] | None = None) -> Iterator[Path]:
    """``path`` made a folder holding ``files`` that this process cannot write to: a read-only
    tmpfs mount for root (whom mode bits do not stop, as CI runs), mode 555 for anyone else."""
    path.mkdir()
    if os.geteuid() != 0:
        for name, data in (files or {}).items():
            (path / name).write_bytes(data)
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    size = max(4 << 20, sum(len(data) for data in (files or {}).values()) + (1 << 20))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        for name, data in (files or {}).items():
            (path / name).write_bytes(data)
        subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def processes_naming(text: str) -> list[int]:
    """Pids of the processes whose command line contains ``text`` (a run's name or folder): what
    a killed parent must not leave behind."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def full_disk(limit_bytes: int = 1024) -> None:
    """``preexec_fn`` of a subprocess whose files cannot grow past ``limit_bytes``: its writes
    then fail with EFBIG as on a full disk (SIGXFSZ ignored so the write returns the error)."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))


def require(available: bool, why: str) -> None:
    """Skips a test whose tool is missing on a developer's machine; under CI (``CI`` set, as
    ``.ci/run`` does) it fails instead, so no check passes there without running."""
    if not available:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI runs every test)")
        pytest.skip(why)


@contextmanager
def ray_cluster(cpus: int = 2) -> Iterator[tuple[str, dict[str, str]]]:
    """A one-machine Ray cluster on loopback for the test's duration: (its address, the
    environment to run Ray clients with). Loopback, because Ray would otherwise swap 127.0.0.1
    for this machine's network address, which the sandbox does not let processes connect to.
    One at a time per machine (a file lock): ``ray stop --force`` ends every Ray process here,
    so two tests' clusters on two workers would end each other's."""
    from filelock import FileLock

    ray = Path(sys.executable).with_name("ray")
    require(ray.exists(), "Ray is not installed (pip install 'metta-lit[ray]')")
    port = free_port()
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_AUTH_MODE": "disabled",
    }
    start = [str(ray), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port)]
    start += ["--num-cpus", str(cpus), "--include-dashboard", "false"]
    with FileLock(Path(tempfile.gettempdir()) / "metta-lit-test-ray.lock"):
        subprocess.run(start, check=True, env=env, capture_output=True)
        try:
            yield f"127.0.0.1:{port}", env
        finally:
            subprocess.run([str(ray), "stop", "--force"], env=env, capture_output=True)


def require_module(name: str, extra: str = "dev") -> Any:
    """The module ``name``, or :func:`require`'s skip (fail under CI) naming the extra that has it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        require(False, f"needs {name} (pip install -e '.[{extra}]')")
