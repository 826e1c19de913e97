"""The stable suite: long training runs judged on their final metrics.

The arena jobs are judged on the recipe's own fixed env (validation: 8 envs x 24 agents every
25 updates, means over the last 2M agent steps), never on a curriculum's training episodes,
whose tasks may hand out hearts the fixed env does not. Thresholds and where they come from
(measured 2026-12-04 on 2 CPU cores, Fast + PPO defaults, 10M agent steps, same seeds):
- with the curriculum, ``val/heart.gained > 1.2``: measured 1.69 (its windows over 2M steps
  from 4M on: 1.07, 1.28, 1.86; single validations swing 0.97-2.38). The original's release
  target is > 0.1 after 100M agent steps on 1 GPU, and this project's goal > 1.0 at 10M on CPU.
- without it, ``val/heart.gained > 1.5``: measured 1.98 (its 2M windows from 4M: 1.13,
  1.84, 1.98). The baseline runs beside the curriculum with the same budget and seed, and the
  suite prints both (1.69 vs 1.98); whether the curriculum helps is not one pair's to say: the
  arena_curriculum experiment (three seeds per arm, scored on the fixed env) answers it.
- ``overview/sps >= 8000``: measured 10.0k (curriculum) and 11.3k agent steps/s end to end.
- navigation ``val/reward > 4.0`` after 1M agent steps: measured 5.4-9.9 (validation is noisy)
  between 0.4M and 0.65M agent steps on 2 CPU cores; a random policy scores ~0.6.
- in_context, 4M agent steps of the recipe: its periodic evaluation (32 episodes per simulation
  every 80 updates, empty-handed on maps training never sees) over the last 1.5M steps must find
  each one-link recipe at twice what random makes, ``direct_<colour> > 2 x random``, where the
  random policy plays the same 32 episodes (same seed) when the job is judged, never a number
  typed here. Measured (seeds 0, 1): red 0.26, 0.24; blue 0.55, 0.53; green 0.78, 0.39; red
  has the least margin. It is a stable job, not a test: the recipe stays at random for ~1M steps.
- teams_2v2, 10M agent steps of the recipe: no update may complete the collapse signature
  (``diag/collapse``: policy entropy below half its peak within 500k steps while reward falls).
  Measured before the signature was logged: one of two runs collapsed at ~1.8M (entropy 1.78 to
  0.03 within ~200k steps) and ended below random; the job fails until that is fixed.
Each job records what it reached in the JSON, so thresholds can rise with evidence.
"""

from __future__ import annotations

import os
import time

from metta_lit.recipe_api import Baseline, Criterion, Job, Suite

SPS = Criterion("overview/sps", ">=", 8000, "measured 10.0k-11.3k agent-steps/s on 2 CPU cores", window=10**9)
WINDOW = 2_000_000  # agent steps the validation criteria average over
VAL_HEARTS_CURRICULUM = Criterion(
    "val/heart.gained", ">", 1.2, "measured 1.69 at 10M on 2 CPU cores; original: > 0.1 at 100M on a GPU", WINDOW
)
VAL_HEARTS_BASELINE = Criterion("val/heart.gained", ">", 1.5, "measured 1.98 at 10M on 2 CPU cores", WINDOW)
IN_CONTEXT_EVAL = "evaluator/eval_in_context"
IN_CONTEXT_EPISODES = 32  # per simulation, in the run's evaluations and in the random baseline's
IN_CONTEXT_COLOURS = ("red", "blue", "green")
IN_CONTEXT_MEASURED = {"red": "0.26, 0.24", "blue": "0.55, 0.53", "green": "0.78, 0.39"}
NO_COLLAPSE = Criterion(
    "diag/collapse",
    "<=",
    0.0,
    "no update completes the collapse signature; one of two runs collapsed at ~1.8M before it was logged",
    window=10**12,  # the whole run
)


def stable(data_dir: str = "stable_runs") -> Suite:
    """Shaped arena with and without curriculum (10M agent steps each), navigation (1M),
    in-context learning (4M) and two teams of two (10M, judged on not collapsing)."""
    data_dir = os.path.abspath(data_dir)
    stamp = time.strftime("%Y%m%d.%H%M%S")
    common = [f"data_dir={data_dir}", "trainer.enable_progress_bar=false"]

    def run(name: str) -> tuple[str, str]:
        run_name = f"stable.{stamp}.{name}"
        return f"run={run_name}", f"{data_dir}/{run_name}"

    curriculum_run, curriculum_dir = run("arena_shaped_curriculum")
    baseline_run, baseline_dir = run("arena_shaped_baseline")
    navigation_run, navigation_dir = run("navigation")
    teams_run, teams_dir = run("teams_2v2")
    in_context_run, in_context_dir = run("in_context")
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
                experiment="configs/experiments/arena_curriculum.yaml",
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
            Job(
                "in_context",
                [
                    "run",
                    "train",
                    "in_context_learning",
                    "total_timesteps=4000000",
                    f"evaluator.num_episodes={IN_CONTEXT_EPISODES}",
                    "evaluator.evaluate_interval=80",
                    in_context_run,
                    *common,
                ],
                timeout_s=2 * 3600,
                budget="4M agent steps",
                criteria=[
                    Criterion(
                        f"{IN_CONTEXT_EVAL}/direct_{colour}",
                        ">",
                        2,
                        f"2x random on the same episodes; measured {IN_CONTEXT_MEASURED[colour]} at 4M (seeds 0, 1) "
                        "on 2 CPU cores",
                        window=1_500_000,
                        baseline=Baseline(f"in_context/direct_{colour}", IN_CONTEXT_EPISODES),
                    )
                    for colour in IN_CONTEXT_COLOURS
                ],
                report=[
                    "env_agent/heart.gained",
                    *(f"{IN_CONTEXT_EVAL}/{colour}" for colour in IN_CONTEXT_COLOURS),
                ],
                run_dir=in_context_dir,
            ),
            Job(
                "teams_2v2",
                ["run", "train", "teams_2v2", teams_run, *common],
                timeout_s=3 * 3600,
                budget="10M agent steps",
                criteria=[NO_COLLAPSE],
                report=["episode/reward", "losses/ppo/entropy", "coop/team_1/return", "coop/attacks_other_team"],
                run_dir=teams_dir,
            ),
        ],
        json=f"{data_dir}/stable_results.json",
        log_dir=f"{data_dir}/logs",
    )
