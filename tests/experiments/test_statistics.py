"""Experiment statistics on hand-made score tables: IQM and means as computed by hand, interval
coverage on a known distribution, pairs, verdicts and the seeds a difference would need."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metta_lit.experiments import aggregate


def column(values: list[float]) -> np.ndarray:
    """Runs x one simulation."""
    return np.array(values, dtype=float)[:, None]


def test_iqm_and_mean_match_hand_computed_values():
    """IQM of 0,0,0,1,2,3,10,100 drops the lowest and highest quarter (two each): mean of
    0,1,2,3 = 1.5; the mean is 116 / 8 = 14.5. Two simulations stratify but aggregate together."""
    skewed = column([0, 0, 0, 1, 2, 3, 10, 100])
    result = aggregate.aggregates({"a": skewed})["a"]
    assert result["iqm"] == pytest.approx(1.5) and result["mean"] == pytest.approx(14.5)
    assert result["runs"] == 8
    assert result["mean_ci"][0] < 14.5 < result["mean_ci"][1] and result["iqm_ci"][0] <= 1.5 <= result["iqm_ci"][1]
    two = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    assert aggregate.aggregates({"b": two})["b"]["mean"] == pytest.approx(13.75)


def test_the_same_seed_gives_the_same_intervals_and_leaves_numpys_generator_alone():
    scores = {"a": column([1, 2, 3, 4, 5]), "b": column([2, 3, 4, 5, 9])}
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first, second = aggregate.aggregates(scores, seed=3), aggregate.aggregates(scores, seed=3)
    assert first == second
    assert (np.random.get_state()[1] == before).all()


@pytest.mark.slow
def test_mean_intervals_cover_the_true_mean_about_95_percent_of_the_time():
    """200 experiments of 10 runs from N(1, 1): the 95% percentile-bootstrap interval of the mean
    holds 1 in 86-99% of them (the percentile bootstrap runs a little narrow at n = 10:
    expected ~92%; 200 draws of a 0.92 coin stay within +-6% of it 99.9% of the time)."""
    rng = np.random.default_rng(0)
    covered = 0
    for k in range(200):
        result = aggregate.aggregates({"a": column(rng.normal(1.0, 1.0, 10).tolist())}, seed=k, reps=500)["a"]
        covered += result["mean_ci"][0] <= 1.0 <= result["mean_ci"][1]
    assert 0.86 <= covered / 200 <= 0.99, covered


def test_pairs_verdicts_and_the_seeds_a_difference_would_need():
    """Clearly apart (every b run above every a run): b is higher, P(a > b) = 0. Drawn from one
    distribution: these seeds cannot tell, with the runs per arm the spread says would."""
    a, b = column([1.0, 1.1, 0.9, 1.05, 0.95]), column([3.0, 3.1, 2.9, 3.05, 2.95])
    [apart] = aggregate.pairs({"a": a, "b": b})
    assert apart["differ"] and apart["difference"] == pytest.approx(-2.0)
    assert apart["probability_of_improvement"] == 0.0
    line = aggregate.verdict(apart, "reward")
    assert line.startswith("b is higher than a on reward by 2 [") and "P(a > b) = 0.00" in line
    same_a, same_b = column([1.0, 2.0, 3.0, 4.0, 5.0]), column([1.5, 2.5, 2.0, 4.5, 5.5])
    [close] = aggregate.pairs({"a": same_a, "b": same_b})
    assert not close["differ"]
    # variances 2.5 (a) and 2.95 (b), difference 0.2: 2 (1.96 sqrt((2.5 + 2.95) / 2) / 0.2)^2 = 523.5 -> 524
    assert close["seeds_needed"] == 524
    assert "these seeds cannot tell" in aggregate.verdict(
        close, "reward"
    ) and "about 524 per arm would" in aggregate.verdict(close, "reward")
    assert aggregate.seeds_needed(column([1, 2, 3]), column([1, 2, 3])) == math.inf


def test_learning_curves_and_performance_profiles():
    points = [(100, column([0.0, 0.0, 1.0, 1.0])), (200, column([2.0, 2.0, 3.0, 3.0]))]
    [first, second] = aggregate.curves({"a": points})["a"]
    assert (first["agent_steps"], first["iqm"]) == (100, 0.5) and (second["agent_steps"], second["iqm"]) == (200, 2.5)
    assert first["ci"][0] <= 0.5 <= first["ci"][1]
    profile = aggregate.profiles({"a": column([0, 1, 2, 3]), "b": column([2, 3, 4, 5])}, taus=6)
    assert profile["tau"] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    # share of runs scoring above tau (rliable counts > tau)
    assert profile["arms"]["a"]["share"] == [0.75, 0.5, 0.25, 0.0, 0.0, 0.0]
    assert profile["arms"]["b"]["share"] == [1.0, 1.0, 0.75, 0.5, 0.25, 0.0]


def test_an_arm_compares_its_simulations_when_asked(tmp_path):
    """``scoring.by_simulation``: the simulations of one arm (here group sizes) get each its
    interval, a verdict per pair and a curve, from the runs' scores, and the report draws them."""
    from metta_lit.experiments.config import Arm, ExperimentConfig
    from metta_lit.experiments.report import analyse, write
    from metta_lit.experiments.runner import Run

    config = ExperimentConfig.model_validate(
        {
            "name": "sizes",
            "base_config": "configs/commons_groups.yaml",
            "budget": 200,
            "seeds": 3,
            "arms": [{"name": "one"}],
            "scoring": {"simulations": ["s/two", "s/eight"], "metrics": ["hearts"], "reps": 200, "by_simulation": True},
        }
    )
    runs = []
    for seed, (two, eight) in enumerate([(40.0, 6.0), (50.0, 7.0), (45.0, 5.0)]):
        scores = {
            str(v): {
                "agent_steps": 100 * v,
                "sims": {"s/two": {"hearts": two * v / 2}, "s/eight": {"hearts": eight * v / 2}},
            }
            for v in (1, 2)
        }
        runs.append(Run(Arm(name="one"), seed, f"sizes.one.s{seed}", tmp_path, status="done", scores=scores))
    within = analyse(config, runs)["hearts"]["by_simulation"]["one"]
    assert within["simulations"]["s/two"]["mean"] == pytest.approx(45.0)
    assert within["simulations"]["s/eight"]["mean"] == pytest.approx(6.0)
    [pair] = within["pairs"]
    assert pair["differ"] and within["verdicts"][0].startswith("s/two is higher than s/eight on hearts by 39")
    assert [p["agent_steps"] for p in within["curves"]["s/two"]] == [100, 200]
    assert within["curves"]["s/two"][0]["iqm"] == pytest.approx(22.5)
    write(config, runs, tmp_path, {"hearts": analyse(config, runs)["hearts"]})
    assert (tmp_path / "curves_hearts_one.png").read_bytes()[:4] == b"\x89PNG"
