"""Experiment recipes (the repository's ``recipes/``): ``prod/`` (maintained), ``experiment/``
(work in progress) and ``validation/`` (the CI and stable suites).

A recipe is a module whose functions return configured tools (``TrainTool``,
``EvaluateTool``...); ``metta-lit run TOOL RECIPE [key=value ...]`` finds and runs them. A
new module here is found with no registration step.
"""
