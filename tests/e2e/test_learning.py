"""PPO learns navigation, and DDP trains on two CPU processes (slow)."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
from conftest import EPOCH, NAV, SMALL, column, metta_lit, read_metrics

from metta_lit.checkpoints import read_policy_file
from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.evaluation.statistics import bootstrap_interval
from metta_lit.policy import RandomPolicy
from metta_lit.train import PPO


def episode_rewards(policy, seed: int, episodes: int = 64, overrides: dict | None = None) -> np.ndarray:
    """Per episode (by map: episode k plays the same map whoever plays it), the mean reward per
    agent over full navigation episodes (sampled actions; ``overrides`` of the env), on the
    same acting path as ``metta-lit evaluate``; ``None`` is the random policy."""
    sim = SimulationConfig(
        suite="check", name="navigation", env="navigation", num_episodes=episodes, env_overrides=overrides or {}
    )
    handle = PolicyHandle(policy if policy is not None else RandomPolicy({}, []), "check", 0)
    record = run_simulation(handle, sim, seed=seed, max_envs=episodes)
    by_slot = {e.attributes["slot"]: np.mean([m.get("reward", 0.0) for m in e.agent_metrics]) for e in record.episodes}
    return np.array([by_slot[slot] for slot in sorted(by_slot, key=lambda s: tuple(map(int, s.split("."))))])


def paired_gain_interval(trained: np.ndarray, random: np.ndarray) -> tuple[float, float]:
    """95% bootstrap interval of the mean per-map gain over random (the same 64 maps)."""
    return bootstrap_interval(trained - random, seed=0)


@pytest.mark.slow
@pytest.mark.timeout(1500)  # ~70 s on an idle 2-core machine; a loaded one trains the same steps slower
def test_ppo_learns_navigation_five_times_better_than_random(tmp_path):
    """The navigation recipe, trained for ~600k agent steps, against a random policy on the
    same 64 maps (N = 64 episodes x 4 agents each).

    Measured (2026-12-07, 2 CPU cores): random 0.58, trained 5.9 (10x); other runs of the
    recipe made 5.4-9.9 (9-17x random) by 0.4-0.65M steps. A CPU other than the one measured
    rounds differently and follows another trajectory, as another seed would, so the test
    asserts half the lowest of those: >= 5x random, and a per-map gain whose 95% interval
    excludes zero."""
    random = episode_rewards(None, seed=123)
    assert random.mean() > 0.2  # hearts are reachable by chance, so the ratio means something
    torch.manual_seed(0)
    # configs/navigation.yaml's settings; ~600k agent steps take about 55 s on 2 cores.
    module = PPO(
        env="navigation", num_envs=64, bptt_horizon=32, minibatch_size=2048, gamma=0.99, total_timesteps=600_000, seed=0
    )
    # Budgeted in agent steps, not wall time, so a busy machine trains as much, only slower.
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=-1,
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        enable_model_summary=False,
    )
    trainer.fit(module)
    trained = episode_rewards(module.policy, seed=123)
    low, high = paired_gain_interval(trained, random)
    print(
        f"random {random.mean():.3f}, trained {trained.mean():.3f} (gain [{low:.2f}, {high:.2f}]) after {module.agent_steps} agent steps"
    )
    assert module.agent_steps >= 600_000
    assert trained.mean() >= 5 * random.mean() and low > 0


@pytest.mark.slow
def test_ddp_on_two_cpu_processes(tmp_path):
    """Real multi-process DDP (gloo): both ranks step, agent steps count both, rank 0 writes."""
    metta_lit(
        "fit",
        "--config",
        NAV,
        *SMALL,
        "--model.init_args.total_timesteps",
        str(4 * EPOCH),
        "--trainer.strategy",
        "ddp",
        "--trainer.devices",
        "2",
        "--checkpoint.run",
        "ddp",
        "--checkpoint.checkpoint_interval",
        "1",
        cwd=tmp_path,
        timeout=400,
    )
    rows = read_metrics(tmp_path / "train_dir" / "ddp")
    assert column(rows, "overview/agent_steps") == [2 * EPOCH, 4 * EPOCH]  # 2 ranks per epoch
    ckpt = tmp_path / "train_dir" / "ddp" / "checkpoints"
    assert sorted(p.name for p in ckpt.iterdir()) == ["ddp:v1.mpt", "ddp:v2.mpt", "last.ckpt"]
    read_policy_file(str(ckpt / "ddp:v2.mpt"))
