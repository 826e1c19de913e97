"""Hyperparameter sweeps with Optuna: every trial is a ``metta-lit fit`` run (see ``tools/sweep.py``)."""
