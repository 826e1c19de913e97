"""Training end to end: the CLI, run directory, resume, validate, kill-safety, learning, DDP."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time

import lightning as L
import numpy as np
import pytest
import torch
from conftest import EPOCH, NAV, SMALL, column, evil_checkpoint, fit_args, metta_lit, read_metrics, refused

from metta_lit.checkpoints import CheckpointManager, read_policy_file
from metta_lit.checkpoints.lightning_io import SafeCheckpointIO
from metta_lit.curriculum import LearningProgressCurriculum
from metta_lit.env import MettaGridVecEnv, env_config
from metta_lit.train import PPO
from metta_lit.train.callbacks.checkpoint import PolicyCheckpoint
from metta_lit.train.optimization import learning_rate


@pytest.mark.slow
def test_fit_writes_versioned_policies_state_and_metrics(tmp_path):
    proc = metta_lit(
        *fit_args("t1", str(3 * EPOCH)),
        "--checkpoint.checkpoint_interval",
        "2",
        cwd=tmp_path,
    )
    ckpt = tmp_path / "train_dir" / "t1" / "checkpoints"
    assert sorted(p.name for p in ckpt.iterdir()) == ["last.ckpt", "t1:v2.mpt", "t1:v3.mpt"]
    assert f"saved policy file://{ckpt / 't1:v2.mpt'}" in proc.stdout + proc.stderr
    for chatter in ("litlogger", "LeafSpec", "GPU available", "TPU available", "Seed set to"):
        assert chatter not in proc.stdout + proc.stderr  # the user sees our lines and the progress bar
    policy, meta = read_policy_file(str(ckpt / "t1:v3.mpt"))
    assert meta == {"run": "t1", "version": 3, "agent_steps": 3 * EPOCH}
    rows = read_metrics(tmp_path / "train_dir" / "t1")
    assert column(rows, "overview/agent_steps") == [EPOCH, 2 * EPOCH, 3 * EPOCH]
    for key in (
        "overview/sps",
        "overview/threads",
        "losses/ppo/policy",
        "losses/ppo/value",
        "losses/ppo/entropy",
        "losses/ppo/approx_kl",
        "losses/ppo/clipfrac",
        "losses/ppo/explained_variance",
        "losses/ppo/value_scale",
        "losses/ppo/return_std",
        "env_agent/heart.gained",
        "episode/reward",
        "diag/grad_norm",
        "diag/grad_norm/encoder",
        "diag/grad_norm/heads.actor",
        "diag/grad_norm/heads.critic",
        "diag/clipped",
        "diag/dead_units",
    ):
        assert column(rows, key), f"{key} was not logged"
    assert column(rows, "diag/collapse") == [0.0] * 3 and all(0 <= v <= 1 for v in column(rows, "diag/dead_units"))
    assert any(
        p.name.startswith("events.out.tfevents") for p in (tmp_path / "train_dir" / "t1" / "tensorboard").iterdir()
    )
    assert (tmp_path / "train_dir" / "t1" / "logs" / "config.yaml").exists()


def test_resume_restores_agent_steps_optimizer_and_schedule_exactly(tmp_path):
    common = dict(
        env="navigation",
        num_envs=16,
        bptt_horizon=32,
        minibatch_size=1024,
        eval_envs=2,
        env_overrides={"game.max_steps": 20},
        lr_schedule="linear",
    )

    def trainer(run: str) -> L.Trainer:
        return L.Trainer(
            accelerator="cpu",
            max_epochs=-1,
            logger=False,
            enable_progress_bar=False,
            num_sanity_val_steps=0,
            limit_val_batches=0,
            enable_model_summary=False,
            plugins=[SafeCheckpointIO()],
            callbacks=[PolicyCheckpoint(run=run, data_dir=str(tmp_path), checkpoint_interval=1)],
        )

    first = PPO(**common, total_timesteps=2 * EPOCH)
    trainer("r").fit(first)
    state_path = CheckpointManager("r", str(tmp_path)).trainer_state_path
    saved = torch.load(state_path, weights_only=True)
    assert saved["metta_lit"]["agent_steps"] == 2 * EPOCH and saved["epoch"] == 1

    resumed = PPO(**common, total_timesteps=4 * EPOCH)
    seen = {}

    class Probe(PolicyCheckpoint):
        def on_train_start(self, trainer, pl_module):
            seen["agent_steps"] = pl_module.agent_steps
            seen["optimizer"] = copy.deepcopy(trainer.optimizers[0].state_dict())  # not live references
            seen["lr"] = learning_rate(pl_module.hparams, pl_module.agent_steps)
            seen["epoch"] = trainer.current_epoch

    t = trainer("r")
    t.callbacks.append(Probe(run="probe", data_dir=str(tmp_path / "probe")))
    t.fit(resumed, ckpt_path=state_path)
    assert seen["agent_steps"] == 2 * EPOCH and seen["epoch"] == 2
    for a, b in zip(seen["optimizer"]["state"].values(), saved["optimizer_states"][0]["state"].values(), strict=True):
        for key in ("exp_avg", "exp_avg_sq", "step"):
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    assert seen["lr"] == pytest.approx(1.153637e-3 * (1 - 2 * EPOCH / (4 * EPOCH)))
    assert resumed.agent_steps == 4 * EPOCH


class RolloutRecorder(L.Callback):
    """Every rollout's actions and observations, by epoch, and the policy's final weights."""

    def __init__(self) -> None:
        self.rollouts: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.rollouts[trainer.current_epoch] = (batch["action"].clone(), batch["observation"].clone())


CURRICULUM_AND_PARTNERS = dict(
    curriculum={"game.agent.rewards.inventory.ore_red": [0.0, 0.1, 0.5], "game.agent.rewards.inventory.battery_red": [0.5, 1.0]},
    partner_share=0.5, partner_pool=["self", "random"], partner_snapshot_every=1,
)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "env, extra",
    [("navigation", {}), ("arena", {}), ("arena_easy", CURRICULUM_AND_PARTNERS)],
    ids=["navigation", "arena", "curriculum_and_partners"],
)
def test_a_resumed_run_continues_the_uninterrupted_one_action_for_action(tmp_path, env, extra):
    """Interrupted after update 2 and resumed, a run collects the same rollouts (actions and
    observations, so the envs' episodes, the policy's memory and the sampling stream; with a
    curriculum, each env's task and the task draws; with partners, who plays each env) and
    ends with the same weights as the run that was never stopped. Episodes (50 steps) cross
    the rollouts (32 steps), so envs are restored mid-episode; one torch thread keeps the math
    bit-identical between the runs."""
    common = dict(
        env=env, num_envs=4, bptt_horizon=32, minibatch_size=256, eval_envs=1, torch_threads=1,
        env_overrides={"game.max_steps": 50}, **{k: v for k, v in extra.items() if k != "curriculum"},
    )  # fmt: skip
    epoch = 4 * env_config(env).game.num_agents * 32

    def fit(run: str, updates: int, resume: bool = False) -> tuple[RolloutRecorder, PPO]:
        recorder = RolloutRecorder()
        trainer = L.Trainer(
            accelerator="cpu", max_epochs=-1, logger=False, enable_progress_bar=False, num_sanity_val_steps=0,
            limit_val_batches=0, enable_model_summary=False, plugins=[SafeCheckpointIO()],
            callbacks=[PolicyCheckpoint(run=run, data_dir=str(tmp_path), checkpoint_interval=1), recorder],
        )  # fmt: skip
        torch.manual_seed(0)  # the policy's initial weights (the CLI seeds every run) ...
        torch.set_num_threads(1)  # ... and its orthogonal init (a QR) depends on the thread count
        curriculum = LearningProgressCurriculum(extra["curriculum"], seed=0) if "curriculum" in extra else None
        module = PPO(**common, curriculum=curriculum, total_timesteps=updates * epoch)
        ckpt = CheckpointManager(run, str(tmp_path)).trainer_state_path if resume else None
        trainer.fit(module, ckpt_path=ckpt)
        return recorder, module

    threads = torch.get_num_threads()
    try:
        whole, whole_module = fit("whole", 4)
        fit("parts", 2)
        resumed, resumed_module = fit("parts", 4, resume=True)
    finally:
        torch.set_num_threads(threads)
    assert sorted(resumed.rollouts) == [2, 3]
    for epoch_index in (2, 3):
        (actions, observations), (expected_actions, expected_observations) = (
            resumed.rollouts[epoch_index],
            whole.rollouts[epoch_index],
        )
        assert torch.equal(observations, expected_observations), f"rollout {epoch_index}: other observations"
        assert torch.equal(actions, expected_actions), f"rollout {epoch_index}: other actions"
    expected = whole_module.policy.state_dict()
    for name, weights in resumed_module.policy.state_dict().items():
        assert torch.equal(weights, expected[name]), name


@pytest.mark.slow
def test_validate_accepts_policy_uris_and_lightning_checkpoints(trained, tmp_path):
    for ckpt in (str(trained / "ev:latest"), str(trained), str(trained / "last.ckpt")):
        out = metta_lit("validate", "--config", NAV, *SMALL, "--ckpt_path", ckpt, cwd=tmp_path).stdout
        assert "val/reward" in out and "val/heart.gained" in out, out


@pytest.mark.slow
def test_killing_training_never_corrupts_checkpoints(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "metta_lit.cli",
        *fit_args("k", str(10**9)),
        "--checkpoint.checkpoint_interval",
        "1",
    ]
    ckpt = tmp_path / "train_dir" / "k" / "checkpoints"
    rng = np.random.default_rng(0)
    for _ in range(3):
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        before = len(list(ckpt.glob("*.mpt"))) if ckpt.exists() else 0
        while time.time() < deadline and (not ckpt.exists() or len(list(ckpt.glob("*.mpt"))) < before + 2):
            time.sleep(0.05)
        time.sleep(float(rng.uniform(0, 0.5)))  # land anywhere in the next epoch, writes included
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for path in ckpt.glob("*.mpt"):
            read_policy_file(str(path))
        state = torch.load(ckpt / "last.ckpt", weights_only=True)
        assert state["metta_lit"]["agent_steps"] > 0


def wait_for(predicate, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 0), (signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGUSR1, 0)])
def test_stopping_with_a_signal_saves_state_and_a_policy_and_prints_the_resume_command(tmp_path, sig, code):
    cmd = [
        sys.executable,
        "-m",
        "metta_lit.cli",
        *fit_args("s", str(10**9)),
        "--checkpoint.checkpoint_interval",
        "1000",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    metrics = tmp_path / "train_dir" / "s" / "logs" / "metrics.csv"
    wait_for(lambda: metrics.exists() and len(read_metrics(tmp_path / "train_dir" / "s")) >= 2)  # flushed every update
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == code, out[-3000:]
    ckpt = tmp_path / "train_dir" / "s" / "checkpoints"
    [policy] = list(ckpt.glob("s:v*.mpt"))  # the interval (1000) was never reached: saved on the signal
    state = torch.load(ckpt / "last.ckpt", weights_only=True)
    version = int(policy.name.removeprefix("s:v").removesuffix(".mpt"))
    assert state["metta_lit"]["agent_steps"] == version * EPOCH == read_policy_file(str(policy))[1]["agent_steps"]
    assert "resume with: metta-lit fit --config" in out and "--checkpoint.run s --ckpt_path last" in out
    resumed = metta_lit(
        "fit",
        "--config",
        NAV,
        *SMALL,
        "--checkpoint.run",
        "s",
        "--ckpt_path",
        "last",
        "--model.init_args.total_timesteps",
        str((version + 1) * EPOCH),
        cwd=tmp_path,
    )
    assert "resuming run 's'" in resumed.stdout + resumed.stderr
    # The resumed run appends to the stopped one's history: one row per update, none twice.
    steps = column(read_metrics(tmp_path / "train_dir" / "s"), "overview/agent_steps")
    assert steps == [k * EPOCH for k in range(1, version + 2)]


@pytest.mark.slow
def test_a_second_ctrl_c_aborts_at_once_without_saving(tmp_path):
    """The first Ctrl-C asks for a save after the update; a second one, while that update
    (made long here: 256 envs, 4 epochs over the rollout) is still running, ends the process
    within seconds, writing neither a policy file nor ``last.ckpt``."""
    cmd = [
        sys.executable, "-m", "metta_lit.cli", *fit_args("c", str(10**9)),
        "--checkpoint.checkpoint_interval", "1000", "--model.init_args.num_envs", "256",
        "--model.init_args.update_epochs", "4",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    metrics = tmp_path / "train_dir" / "c" / "logs" / "metrics.csv"
    wait_for(lambda: metrics.exists() and len(read_metrics(tmp_path / "train_dir" / "c")) >= 1)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    asked = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert time.monotonic() - asked < 10, out[-3000:]
    assert proc.returncode != 0 and "Ctrl-C again aborts without saving" in out, out[-3000:]
    assert "resume with:" not in out and "aborted before any state was saved" in out
    checkpoints = tmp_path / "train_dir" / "c" / "checkpoints"
    assert not list(checkpoints.glob("*.mpt")) and not (checkpoints / "last.ckpt").exists()


@pytest.mark.slow
def test_compiled_networks_train_and_save_plain_policy_files(tmp_path):
    """``--model.init_args.compile true``: torch.compile'd encoder, core and heads train for
    two updates, and the policy file has the plain (uncompiled) keys, so it loads anywhere."""
    out = metta_lit(*fit_args("k", str(2 * EPOCH)), "--model.init_args.compile", "true", cwd=tmp_path, timeout=900)
    assert column(read_metrics(tmp_path / "train_dir" / "k"), "overview/agent_steps") == [EPOCH, 2 * EPOCH]
    policy, _ = read_policy_file(str(tmp_path / "train_dir" / "k" / "checkpoints" / "k:v2.mpt"))
    assert not any("_orig_mod" in key for key in policy.state_dict()), out.stdout[-2000:]
    plain = metta_lit("fit", "--config", NAV, *SMALL, "--print_config", cwd=tmp_path).stdout
    assert "compile: false" in plain  # the default stays eager


def test_a_checkpoint_that_would_run_code_is_refused_in_every_resume_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.ckpt"
    evil_checkpoint(evil, marker)
    for ckpt in (f"file://{evil}", str(evil)):
        assert "refusing to load" in refused(
            capsys, "fit", "--config", NAV, *SMALL, "--checkpoint.run", "e1", "--ckpt_path", ckpt
        )
    run_state = tmp_path / "train_dir" / "e2" / "checkpoints" / "last.ckpt"
    run_state.parent.mkdir(parents=True)
    evil_checkpoint(run_state, marker)
    assert "refusing to load" in refused(capsys, "fit", "--config", NAV, *SMALL, "--checkpoint.run", "e2")
    assert "refusing to load" in refused(capsys, "validate", "--config", NAV, *SMALL, "--ckpt_path", str(evil))
    assert not marker.exists()
    text = tmp_path / "notes.ckpt"
    text.write_text("hello\n")
    assert "not a Lightning checkpoint" in refused(
        capsys, "validate", "--config", NAV, *SMALL, "--ckpt_path", str(text)
    )


@pytest.mark.slow
def test_validate_takes_random_and_policies_from_another_env(tmp_path):
    from metta_lit.checkpoints import save_policy
    from metta_lit.policy import FastPolicy

    arena = MettaGridVecEnv(env_config("arena"))
    save_policy(FastPolicy(arena.feature_spec, arena.action_names), str(tmp_path / "arena:v4.mpt"))
    for ckpt in ("random", str(tmp_path / "arena:v4.mpt")):
        proc = metta_lit("validate", "--config", NAV, *SMALL, "--ckpt_path", ckpt, "--replay_dir", "reps", cwd=tmp_path)
        assert "val/reward" in proc.stdout, proc.stdout
        assert f"replays of 2 episodes written to {tmp_path / 'reps'}" in proc.stdout + proc.stderr
    assert not (tmp_path / "lightning_logs").exists() and not (tmp_path / "config.yaml").exists()
    assert len(list((tmp_path / "reps").glob("*.json.z"))) == 4


@pytest.mark.slow
def test_training_respects_an_explicit_thread_count(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    args = [
        sys.executable,
        "-m",
        "metta_lit.cli",
        "fit",
        "--config",
        NAV,
        *SMALL,
        "--checkpoint.run",
        "th",
        "--model.init_args.total_timesteps",
        str(EPOCH),
        "--trainer.enable_progress_bar",
        "false",
    ]
    proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "torch uses 1 CPU threads per rank" in proc.stdout + proc.stderr, proc.stderr[
        -2000:
    ]
    assert "agent steps:" not in proc.stderr  # no progress bar when it is switched off
    module = PPO(env="navigation", num_envs=2, torch_threads=1, eval_envs=1)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=1,
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        limit_val_batches=0,
        enable_model_summary=False,
    )
    before = torch.get_num_threads()
    try:
        trainer.fit(module)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
def test_fit_can_start_from_a_policy_uri(tmp_path):
    metta_lit(*fit_args("base", EPOCH), cwd=tmp_path)
    base = tmp_path / "train_dir" / "base" / "checkpoints" / "base:v1.mpt"
    proc = metta_lit(*fit_args("tuned", EPOCH), "--policy_uri", str(base), cwd=tmp_path)
    assert "using policy base:v1" in proc.stdout + proc.stderr
    assert (tmp_path / "train_dir" / "tuned" / "checkpoints" / "tuned:v1.mpt").exists()
    proc = metta_lit(*fit_args("tuned", 2 * EPOCH), "--policy_uri", str(base), cwd=tmp_path, check=False)
    assert proc.returncode != 0 and "cannot" not in proc.stderr and "drop --policy_uri" in proc.stderr


@pytest.mark.slow
def test_wandb_logs_offline_beside_the_run_history(tmp_path):
    """``--trainer.logger WandbLogger`` with ``offline``: no account, no network. The run keeps
    its CSV history and TensorBoard; wandb's files land in the run directory, named after it."""
    metta_lit(
        *fit_args("w", str(2 * EPOCH)),
        "--trainer.logger",
        "lightning.pytorch.loggers.WandbLogger",
        "--trainer.logger.offline",
        "true",
        cwd=tmp_path,
    )
    run_dir = tmp_path / "train_dir" / "w"
    assert column(read_metrics(run_dir), "overview/agent_steps") == [EPOCH, 2 * EPOCH]
    assert any((run_dir / "tensorboard").iterdir())
    (offline,) = (run_dir / "wandb").glob("offline-run-*")
    (history,) = offline.glob("run-*.wandb")
    assert history.stat().st_size > 0
    assert not (tmp_path / "wandb").exists()  # nothing in the working directory


@pytest.mark.slow
def test_retention_partial_saves_and_the_history_past_a_checkpoint(tmp_path):
    """Only the newest keep_last policies (plus every keep_every-th) stay; a resume removes the
    .tmp-* files of killed saves and the metrics rows logged after the checkpoint it resumes."""
    args = [*fit_args("kept", str(5 * EPOCH)), "--checkpoint.checkpoint_interval", "1"]
    metta_lit(*args, "--checkpoint.keep_last", "2", "--checkpoint.keep_every", "2", cwd=tmp_path)
    run = tmp_path / "train_dir" / "kept"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "kept:v2.mpt",
        "kept:v4.mpt",
        "kept:v5.mpt",
        "last.ckpt",
    ]
    # A kill after two more updates were logged but before they were saved, during a save:
    (run / "checkpoints" / ".tmp-killed").write_bytes(b"half a file")
    with open(run / "logs" / "metrics.csv") as f:
        header = f.readline().strip().split(",")
    with open(run / "logs" / "metrics.csv", "a") as f:
        for k in (6, 7):
            f.write(",".join(str(k * EPOCH) if name == "overview/agent_steps" else "" for name in header) + "\n")
    metta_lit(*fit_args("kept", str(7 * EPOCH)), "--checkpoint.checkpoint_interval", "1", cwd=tmp_path)
    assert not (run / "checkpoints" / ".tmp-killed").exists()
    assert column(read_metrics(run), "overview/agent_steps") == [k * EPOCH for k in range(1, 8)]
    assert len(list((run / "checkpoints").glob("*.mpt"))) == 5  # keep_last is 10 by default


@pytest.mark.slow
def test_the_progress_bar_ends_at_the_budget_with_log_lines_above_it(tmp_path):
    """A budget that is not a whole number of updates: the bar's total is where the run stops
    (no overshoot, the same format to the end), and "saved policy" lines stand on their own."""
    budget = 2 * EPOCH + EPOCH // 2  # the run stops after 3 updates
    proc = metta_lit(*fit_args("bar", budget), "--trainer.enable_progress_bar", "true", cwd=tmp_path)
    lines = [line.strip() for line in proc.stderr.replace("\r", "\n").splitlines() if line.strip()]
    bars = [line for line in lines if line.startswith("agent steps:")]
    assert bars and "100%" in bars[-1], bars[-3:]
    assert all("%" in bar for bar in bars)  # tqdm drops the percentage once n passes total
    saved = [line for line in lines if "saved policy" in line]
    assert saved and all(line.startswith("[metta-lit] saved policy") for line in saved), saved
    assert "reward=" in bars[-1]


def test_the_progress_window_weights_recent_updates_by_their_episodes():
    from metta_lit.train.metrics import EpisodeWindow

    window = EpisodeWindow(updates=2)
    assert window.means() == {}
    window.add({"overview/episodes": 1.0, "episode/reward": 10.0, "env_agent/heart.gained": 2.0})
    window.add({"overview/sps": 5.0})  # no episode finished: not a zero
    window.add({"overview/episodes": 3.0, "episode/reward": 2.0})  # no heart in these episodes
    assert window.means() == {"episode/reward": 4.0, "env_agent/heart.gained": 0.5}
    window.add({"overview/episodes": 4.0, "episode/reward": 1.0})  # the first update leaves the window
    assert window.means() == {"episode/reward": 10 / 7}
