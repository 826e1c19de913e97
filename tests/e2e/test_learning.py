"""PPO learns navigation, and DDP trains on two CPU processes (slow)."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from conftest import EPOCH, NAV, SMALL, column, metta_lit, read_metrics

from metta_lit.checkpoints import read_policy_file
from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.policy import RandomPolicy
from metta_lit.train import PPO


def evaluate(policy, seed: int, episodes: int = 64) -> float:
    """Mean episode reward per agent over full navigation episodes (sampled actions), on the
    same acting path as ``metta-lit evaluate``; ``None`` is the random policy."""
    sim = SimulationConfig(suite="check", name="navigation", env="navigation", num_episodes=episodes)
    handle = PolicyHandle(policy if policy is not None else RandomPolicy({}, []), "check", 0)
    return run_simulation(handle, sim, seed=seed, max_envs=episodes).mean("reward")


@pytest.mark.slow
@pytest.mark.timeout(1500)  # ~70 s on an idle 2-core machine; a loaded one trains the same steps slower
def test_ppo_learns_navigation_three_times_better_than_random(tmp_path):
    """The navigation recipe, trained for ~90 s of CPU, against a random policy on the same maps."""
    random_reward = evaluate(None, seed=123)
    assert random_reward > 0.2  # hearts are reachable by chance, so the ratio means something
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
    trained_reward = evaluate(module.policy, seed=123)
    print(f"random {random_reward:.3f}, trained {trained_reward:.3f} after {module.agent_steps} agent steps")
    assert module.agent_steps >= 600_000
    assert trained_reward >= 3 * random_reward


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
