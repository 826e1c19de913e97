"""Running an experiment: every (arm, seed) a ``metta-lit fit`` run, then scored by
``metta-lit evaluate`` on the experiment's fixed simulations at points along its budget.

Runs are child processes that die with the driver (``core.processes.child_env``). Everything
is on disk, so rerunning the same command after a kill (even ``kill -9``) finds where each run
stands: scored runs are skipped, trained ones only scored, a killed one resumes from its
``last.ckpt`` (training resumes exactly: see ``Rollouts.save_state``), and scoring, stored
once per evaluation, is simply repeated.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from metta_lit.checkpoints import CheckpointManager
from metta_lit.core.errors import ConfigError, MettaLitError
from metta_lit.core.files import MAX_YAML_BYTES, atomic_write
from metta_lit.core.flags import flags
from metta_lit.core.packaged import find_config
from metta_lit.core.processes import child_env, error_line, last_error, metta_lit_command
from metta_lit.core.threads import available_cores
from metta_lit.env import env_config
from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.stats_db import EvalStatsDB
from metta_lit.experiments.config import Arm, ExperimentConfig
from metta_lit.runs import ExperimentDir, History, RunDir


class ExperimentError(MettaLitError):
    """A run that failed every try, or input an experiment cannot start with."""


@dataclass
class Run:
    arm: Arm
    seed: int
    name: str
    folder: Path
    status: str = "waiting"  # waiting, training, scoring, done, failed
    tries: int = 0
    error: str | None = None
    scores: dict[str, Any] = field(default_factory=dict)  # "version" -> {agent_steps, sims: {sim: {metric: v}}}

    @property
    def scores_path(self) -> Path:
        return self.folder / ExperimentDir.SCORES


def strict(value: Any) -> Any:
    """JSON has no NaN: a score that could not be measured is null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strict(v) for v in value]
    return value


class Experiment:
    """One experiment's runs on this machine, ``workers`` at a time."""

    def __init__(self, config: ExperimentConfig, workers: int | None = None) -> None:
        self.config = config
        self.workers = workers or config.workers
        self.folder = config.folder
        layout = ExperimentDir(self.folder)
        self.train_dir, self.logs, self.plan = layout.train_dir, layout.logs, layout.plan
        self.stats_db = layout.stats_db
        self.base = find_config(config.base_config)
        self.runs = [
            Run(arm, seed, f"{config.name}.{arm.name}.s{seed}", self.train_dir / f"{config.name}.{arm.name}.s{seed}")
            for arm in config.arm_list()
            for seed in config.seed_list()
        ]
        self.batch: dict[str, int] = {}  # arm -> agent steps per update
        self._lock = threading.Lock()

    # --- before anything runs ---------------------------------------------------------------
    def prepare(self) -> None:
        """Checks every arm's overrides with ``fit --print_config`` (an unknown key is one line
        naming it) and learns each arm's update size; writes the scoring simulations. The
        checks are remembered in ``plan.json`` under a digest of what they depend on, so a
        rerun, a report or a cluster task of an unchanged experiment does not repeat them."""
        self.logs.mkdir(parents=True, exist_ok=True)
        arms = self.config.arm_list()
        digest = self._digest()
        known = self._planned(digest)
        if known is not None:
            self.batch = known
        else:

            def check(arm: Arm) -> subprocess.CompletedProcess:
                command = metta_lit_command("fit", "--config", str(self.base), *self._overrides(arm), "--print_config")
                return subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=300)

            # Each check is mostly a process start (imports): as many at once as there are cores.
            with ThreadPoolExecutor(max_workers=available_cores()) as pool:
                checked = list(pool.map(check, arms))
            for arm, proc in zip(arms, checked, strict=True):
                if proc.returncode != 0:
                    raise ConfigError(f"arm {arm.name!r}: {error_line(proc.stderr or proc.stdout)}")
                self.batch[arm.name] = update_size(yaml.safe_load(proc.stdout))
        self._write_simulations()
        plan = {
            "name": self.config.name,
            "arms": [arm.name for arm in arms],
            "runs": [{"run": run.name, "arm": run.arm.name, "seed": run.seed} for run in self.runs],
            "checked": {"digest": digest, "batch": self.batch},
        }
        atomic_write(str(self.plan), json.dumps(plan, indent=1).encode())

    def _digest(self) -> str:
        """What the arms' checks depend on: the base config's text, every override, metta-lit's version."""
        import metta_lit

        base = b""
        if self.base.is_file():  # else the checks report it
            with open(self.base, "rb") as f:
                base = f.read(MAX_YAML_BYTES + 1)
        inputs = {
            "base": hashlib.sha256(base).hexdigest(),
            "overrides": self.config.overrides,
            "arms": {arm.name: arm.overrides for arm in self.config.arm_list()},
            "version": metta_lit.__version__,
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()

    def _planned(self, digest: str) -> dict[str, int] | None:
        """The update sizes an earlier check of the same experiment found (None: check again)."""
        try:
            checked = json.loads(self.plan.read_text()).get("checked") or {}
        except (OSError, ValueError, AttributeError):
            return None
        batch = checked.get("batch")
        names = {arm.name for arm in self.config.arm_list()}
        if checked.get("digest") != digest or not isinstance(batch, dict) or set(batch) != names:
            return None
        if not all(isinstance(v, int) and v > 0 for v in batch.values()):
            return None
        return batch

    def _overrides(self, arm: Arm) -> list[str]:
        return [*flags(self.config.overrides), *flags(arm.overrides)]

    def _write_simulations(self) -> None:
        """The scoring simulations as files of the experiment's own (each with the scoring's
        episode count), so ``evaluate`` plays exactly these whatever the shipped suites become."""
        sims = load_simulations(self.config.scoring.simulations)
        by_suite: dict[str, list[dict[str, Any]]] = {}
        for sim in sims:
            entry = sim.model_dump(mode="json", exclude={"suite"})
            by_suite.setdefault(sim.suite, []).append({**entry, "num_episodes": self.config.scoring.episodes})
        (self.folder / "sims").mkdir(parents=True, exist_ok=True)
        self.sim_specs = []
        for suite, entries in by_suite.items():
            path = self.folder / "sims" / f"{suite}.yaml"
            atomic_write(str(path), yaml.safe_dump({"simulations": entries}, sort_keys=False).encode())
            self.sim_specs += [f"{path}/{entry['name']}" for entry in entries]
        self.sim_names = [f"{sim.suite}/{sim.name}" for sim in sims]

    # --- running ------------------------------------------------------------------------------
    def run(self, on_change: Callable[[], None] = lambda: None) -> None:
        """Every run not yet scored, ``workers`` at a time; returns when all are done or failed."""
        self.on_change = on_change
        self.load_scores()
        pending = [run for run in self.runs if run.status != "done"]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for future in [pool.submit(self._run_one, run) for run in pending]:
                future.result()

    def run_one(self, index: int) -> None:
        """Run ``index`` alone (a cluster array task); an error if it fails every try."""
        if not 0 <= index < len(self.runs):
            raise ConfigError(f"--run_index: {index} is not a run of this experiment (0..{len(self.runs) - 1})")
        self.on_change = lambda: None
        self.load_scores()
        run = self.runs[index]
        self._run_one(run)
        if run.status == "failed":
            raise ExperimentError(run.error or f"{run.name} failed")

    def load_scores(self) -> None:
        """The runs scored before (their ``scores.json``) are done."""
        for run in self.runs:
            if run.scores_path.is_file():
                run.scores, run.status = json.loads(run.scores_path.read_text()), "done"

    def _run_one(self, run: Run) -> None:
        while run.status != "done":
            run.tries += 1
            try:
                self._set(run, "training")
                self._train(run)
                self._set(run, "scoring")
                self._score(run)
                self._set(run, "done")
            except ExperimentError as e:
                run.error = str(e)
                if run.tries > self.config.retries:
                    self._set(run, "failed")
                    return
                self._set(run, "waiting")

    def _set(self, run: Run, status: str) -> None:
        with self._lock:
            run.status = status
        self.on_change()

    def _threads(self) -> list[str]:
        """One run alone follows the load (training's default); several share the cores."""
        if self.workers == 1:
            return []
        return ["--model.init_args.torch_threads", str(max(1, available_cores() // self.workers))]

    def fit_command(self, run: Run) -> list[str]:
        batch = self.batch[run.arm.name]
        updates = math.ceil(self.config.budget / batch)
        interval = max(1, updates // self.config.scoring.points)
        return metta_lit_command(
            *("fit", "--config", str(self.base)),
            *self._overrides(run.arm),
            *("--seed_everything", str(run.seed), "--model.init_args.seed", str(run.seed)),
            *("--model.init_args.total_timesteps", str(self.config.budget)),
            *self._threads(),
            *("--checkpoint.run", run.name, "--checkpoint.data_dir", str(self.train_dir)),
            *("--checkpoint.checkpoint_interval", str(interval), "--checkpoint.keep_last", "null"),
            *("--trainer.enable_progress_bar", "false"),
        )

    def _train(self, run: Run) -> None:
        """Trains (or resumes: the same run name continues its ``last.ckpt``) to the budget."""
        if self._final_version(run) is not None:
            return
        self._child(self.fit_command(run), self.logs / f"{run.name}.fit.log", run, "training")
        if self._final_version(run) is None:
            raise ExperimentError(f"{run.name}: training ended without a policy at the budget")

    def _final_version(self, run: Run) -> int | None:
        versions = self._versions(run)
        batch = self.batch[run.arm.name]
        return versions[-1] if versions and versions[-1] * batch >= self.config.budget else None

    def _versions(self, run: Run) -> list[int]:
        return CheckpointManager(run.name, str(self.train_dir)).local_versions()

    def _child(self, command: list[str], log: Path, run: Run, what: str) -> None:
        with open(log, "a") as out:
            out.write(f"\n$ {' '.join(command)}\n")
            out.flush()
            proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=child_env())
        if proc.returncode != 0:
            raise ExperimentError(
                f"{run.name}: {what} exited with code {proc.returncode}: {last_error(log)} (log: {log})"
            )

    def _score(self, run: Run) -> None:
        """``evaluate`` every saved version on the simulations, then the means into ``scores.json``."""
        versions = self._versions(run)
        checkpoints = Path(CheckpointManager(run.name, str(self.train_dir)).checkpoint_dir)
        uris = [str(checkpoints / f"{run.name}:v{v}.mpt") for v in versions]
        command = metta_lit_command(
            "evaluate", "--policy_uris", *uris, "--simulations", *self.sim_specs,
            "--stats_db", str(self.stats_db), "--seed", str(self.config.scoring.seed),
        )  # fmt: skip
        self._child(command, self.logs / f"{run.name}.score.log", run, "scoring")
        db, batch = EvalStatsDB(str(self.stats_db)), self.batch[run.arm.name]
        scores = {
            str(v): {
                "agent_steps": min(v * batch, self.config.budget) if v == versions[-1] else v * batch,
                "sims": {sim: self._metrics(db, (run.name, v), sim) for sim in self.sim_names},
            }
            for v in versions
        }
        atomic_write(str(run.scores_path), json.dumps(strict(scores), indent=1, allow_nan=False).encode())
        run.scores = scores

    def _metrics(self, db: EvalStatsDB, policy: tuple[str, int], sim: str) -> dict[str, float]:
        out = {}
        for metric in self.config.scoring.metrics:
            if metric.startswith("coop/"):  # episode metrics; a pattern (coop/*/gini) averages its matches
                means = list(db.episode_metric_means(policy, sim, metric).values())
                out[metric] = sum(means) / len(means) if means else math.nan
            else:
                out[metric] = db.metric(policy, sim, metric).mean
        return out

    # --- progress -----------------------------------------------------------------------------
    def agent_steps(self) -> int:
        """Agent steps trained so far over all runs (from their metrics files)."""
        total = 0
        for run in self.runs:
            if run.status == "done" or run.scores:
                total += self.config.budget
                continue
            steps = History.read(RunDir(run.folder).metrics).steps() if RunDir(run.folder).metrics.is_file() else []
            total += int(steps[-1]) if steps else 0
        return total


def update_size(config: dict[str, Any]) -> int:
    """Agent steps per update of a resolved fit config: envs x agents x horizon x ranks."""
    model, trainer = config["model"]["init_args"], config.get("trainer") or {}
    env = env_config(model.get("env", "arena")).with_overrides(model.get("env_overrides") or {})
    ranks = 1
    for key in ("devices", "num_nodes"):  # "auto" and device lists: one rank each here (CPU runs)
        ranks *= trainer.get(key) if isinstance(trainer.get(key), int) and trainer.get(key) > 0 else 1
    return int(model["num_envs"]) * env.game.num_agents * int(model["bptt_horizon"]) * ranks
