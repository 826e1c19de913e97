"""The stable suite: long training runs judged on their final metrics (1M-agent-step means).

Thresholds and where they come from:
- ``env_agent/heart.gained > 0.1`` with the curriculum after 10M agent steps: the original's
  release target (> 0.1 after 100M agent steps on 1 GPU, with its learning-progress
  curriculum), asked here of a 10x smaller CPU budget.
- ``episode/reward > 1.0`` without curriculum: on this 2-core CPU, Fast + PPO on the shaped
  arena rises from 0.45 to ~1.3 per agent-episode within 4M agent steps, then plateaus while
  ``heart.gained`` stays at 0.02-0.04 (agents hold capped ore and batteries). The baseline
  runs beside the curriculum run with the same budget, so the curriculum's effect is
  measured, not assumed; both runs' hearts are printed.
- ``overview/sps >= 8000``: ``scripts/bench_train.py`` measures 11-13k agent steps/s end to
  end on the arena on a 2-core CPU; the margin covers validation episodes and a busy machine.
- navigation ``val/reward > 4.0`` after 1M agent steps: measured 5.4-9.9 (validation is noisy)
  between 0.4M and 0.65M agent steps on 2 CPU cores; a random policy scores ~0.6.
Each job records what it reached in the JSON, so thresholds can rise with evidence.
"""

from __future__ import annotations

import os
import time

from metta_lit.recipe import Criterion, Job, Suite

SPS = Criterion("overview/sps", ">=", 8000, "bench_train.py: 11-13k agent-steps/s on 2 CPU cores", window=10**9)
WINDOW = 2_000_000  # agent steps the validation criteria average over
# TODO(thresholds): from the 10M measurements.
VAL_HEARTS_CURRICULUM = Criterion("val/heart.gained", ">", 0.1, "TBD", window=WINDOW)
VAL_HEARTS_BASELINE = Criterion("val/heart.gained", ">", 0.1, "TBD", window=WINDOW)


def stable(data_dir: str = "stable_runs") -> Suite:
    """Shaped arena with and without curriculum (10M agent steps each) and navigation (1M)."""
    data_dir = os.path.abspath(data_dir)
    stamp = time.strftime("%Y%m%d.%H%M%S")
    common = [f"data_dir={data_dir}", "trainer.enable_progress_bar=false"]

    def run(name: str) -> tuple[str, str]:
        run_name = f"stable.{stamp}.{name}"
        return f"run={run_name}", f"{data_dir}/{run_name}"

    curriculum_run, curriculum_dir = run("arena_shaped_curriculum")
    baseline_run, baseline_dir = run("arena_shaped_baseline")
    navigation_run, navigation_dir = run("navigation")
    # Judged on the recipe's own fixed env: validation every 25 updates (~0.6M agent steps) over
    # 8 envs x 24 agents, so the last 2M steps average 3-4 validations (~600 agent-episodes).
    arena_validation = ["eval_envs=8", "trainer.check_val_every_n_epoch=25"]
    arena_report = ["val/reward", "env_agent/heart.gained", "episode/reward", "env_agent/battery_red.gained"]
    return Suite(
        "stable",
        [
            Job(
                "arena_shaped_curriculum",
                ["run", "train", "arena_basic_easy_shaped", curriculum_run, *arena_validation, *common],
                timeout_s=3 * 3600,
                budget="10M agent steps",
                criteria=[VAL_HEARTS_CURRICULUM, SPS],
                report=arena_report,
                run_dir=curriculum_dir,
                compare_with="arena_shaped_baseline",
            ),
            Job(
                "arena_shaped_baseline",
                [
                    "run",
                    "train",
                    "arena_basic_easy_shaped",
                    "curriculum=false",
                    baseline_run,
                    *arena_validation,
                    *common,
                ],
                timeout_s=3 * 3600,
                budget="10M agent steps",
                criteria=[VAL_HEARTS_BASELINE, SPS],
                report=arena_report,
                run_dir=baseline_dir,
            ),
            Job(
                "navigation",
                ["run", "train", "navigation", navigation_run, *common],
                timeout_s=3600,
                budget="1M agent steps",
                criteria=[
                    Criterion("val/reward", ">", 4.0, "measured 5.4-9.9 at 0.4-0.65M; random ~0.6", window=200_000)
                ],
                report=["episode/reward"],
                run_dir=navigation_dir,
            ),
        ],
        json=f"{data_dir}/stable_results.json",
        log_dir=f"{data_dir}/logs",
    )
