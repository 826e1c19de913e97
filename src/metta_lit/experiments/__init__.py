"""Experiments: arms x seeds of training runs, scored on fixed simulations and aggregated with
intervals into a verdict (``metta-lit experiment``)."""

from metta_lit.experiments.config import Arm, ExperimentConfig, Scoring
from metta_lit.experiments.runner import Experiment, ExperimentError, Run

__all__ = ["Arm", "Experiment", "ExperimentConfig", "ExperimentError", "Run", "Scoring"]
