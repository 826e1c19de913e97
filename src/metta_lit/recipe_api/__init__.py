"""Recipes' machinery: the tools recipe functions return, discovery, suites, ``metta-lit run``."""

from metta_lit.recipe_api.suite import Baseline, Criterion, Job, Suite
from metta_lit.recipe_api.tools import (
    AnalyzeTool,
    EvaluateTool,
    ExperimentTool,
    PlayTool,
    ReplayTool,
    Tool,
    TrainTool,
)

__all__ = [
    "AnalyzeTool",
    "Baseline",
    "Criterion",
    "EvaluateTool",
    "ExperimentTool",
    "Job",
    "PlayTool",
    "ReplayTool",
    "Suite",
    "Tool",
    "TrainTool",
]
