#!/usr/bin/env python
"""Does kickstarting pay off? Steps to reach 80% of a trained teacher's score on navigation.

1. Trains a PPO teacher on navigation (``--teacher_steps``) and scores it: mean episode return
   per agent over full evaluation episodes (sampled actions, fixed seed).
2. Trains two students on the same seeds for ``--budget`` agent steps: PPO kickstarted from the
   teacher (the KL term at ``--kickstart_coef``, annealed to 0 over half the budget) and PPO
   from scratch. Their curve is the training rollouts' mean episode return, smoothed over 3
   updates. (The KL weight is large because gradients are clipped to norm 0.5 as a whole:
   below ~10 PPO's value gradients set the direction and the student barely imitates.)
3. Prints each curve's agent steps to reach ``--threshold`` x the teacher's score and writes
   ``{"kickstarted_steps": N, "scratch_steps": M, "teacher_score": S}`` (a curve that never gets
   there counts as ``null``).

    python scripts/bench_kickstart.py --json bench_results/kickstart.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import lightning as L
import torch
from rich.console import Console
from rich.table import Table

from metta_lit.checkpoints.policy_file import save_policy
from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.train import PPO
from metta_lit.train.compose import compose

# configs/navigation.yaml's training settings.
NAVIGATION = {"env": "navigation", "num_envs": 64, "bptt_horizon": 32, "minibatch_size": 2048, "gamma": 0.99}


class Curve(L.Callback):
    """(agent steps, mean episode return of the update's finished episodes) after each update."""

    def __init__(self) -> None:
        self.points: list[tuple[int, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        reward = trainer.callback_metrics.get("episode/reward")
        if reward is not None:
            self.points.append((pl_module.agent_steps, float(reward)))


def train(module: L.LightningModule, curve: Curve | None = None) -> None:
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=-1,
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=[curve] if curve else [],
    )
    trainer.fit(module)


def score(policy: Any, seed: int, episodes: int = 32) -> float:
    sim = SimulationConfig(suite="bench", name="navigation", env="navigation", num_episodes=episodes)
    return run_simulation(PolicyHandle(policy, "teacher", 0), sim, seed=seed, max_envs=episodes).mean("reward")


def steps_to(points: list[tuple[int, float]], threshold: float, window: int = 3) -> int | None:
    """The first agent step at which the mean of the last ``window`` points reaches ``threshold``."""
    for i in range(window - 1, len(points)):
        if sum(r for _, r in points[i - window + 1 : i + 1]) / window >= threshold:
            return points[i][0]
    return None


def run(
    teacher_steps: int,
    budget: int,
    threshold: float = 0.8,
    seed: int = 0,
    kickstart_coef: float = 50.0,
    kickstart_value_coef: float = 0.0,
) -> dict[str, Any]:
    """The benchmark; returns the JSON record (plus both curves under ``curves``)."""
    torch.manual_seed(seed)
    teacher = PPO(**NAVIGATION, total_timesteps=teacher_steps, seed=seed)
    train(teacher)
    teacher_score = score(teacher.policy, seed=seed + 1)
    with tempfile.TemporaryDirectory() as tmp:
        uri = str(Path(tmp) / "teacher:v1.mpt")
        save_policy(teacher.policy, uri, {"agent_steps": teacher.agent_steps})
        curves = {}
        for name in ("kickstarted", "scratch"):
            torch.manual_seed(seed + 100)
            settings = {**NAVIGATION, "total_timesteps": budget, "seed": seed + 100}
            if name == "kickstarted":
                student = compose("PPO", "Kickstarter")(
                    **settings,
                    teacher_uri=uri,
                    kickstart_anneal_steps=budget // 2,
                    kickstart_coef=kickstart_coef,
                    kickstart_value_coef=kickstart_value_coef,
                )
            else:
                student = PPO(**settings)
            curve = Curve()
            train(student, curve)
            curves[name] = curve.points
    target = threshold * teacher_score
    return {
        "kickstarted_steps": steps_to(curves["kickstarted"], target),
        "scratch_steps": steps_to(curves["scratch"], target),
        "teacher_score": teacher_score,
        "threshold": threshold,
        "budget": budget,
        "curves": curves,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher_steps", type=int, default=400_000)
    parser.add_argument("--budget", type=int, default=300_000, help="agent steps of each student")
    parser.add_argument("--threshold", type=float, default=0.8, help="share of the teacher's score to reach")
    parser.add_argument(
        "--kickstart_coef",
        type=float,
        default=50.0,
        help="initial weight of the KL term; PPO's gradients dominate the clipped gradient norm below ~10",
    )
    parser.add_argument("--kickstart_value_coef", type=float, default=0.0, help="weight of the value MSE")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = run(
        args.teacher_steps, args.budget, args.threshold, args.seed, args.kickstart_coef, args.kickstart_value_coef
    )
    table = Table(title=f"Agent steps to {args.threshold:.0%} of the teacher's score ({result['teacher_score']:.3f})")
    table.add_column("student")
    table.add_column("agent steps", justify="right")
    for name in ("kickstarted", "scratch"):
        steps = result[f"{name}_steps"]
        table.add_row(name, f"{steps:,}" if steps is not None else f"> {args.budget:,}")
    Console().print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        record = {k: result[k] for k in ("kickstarted_steps", "scratch_steps", "teacher_score")}
        args.json.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
