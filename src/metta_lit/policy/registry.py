"""The shipped architectures by name, with the arguments that make each size: one list for
tests, benchmarks and docs (``--model.init_args.policy`` selects a class and its arguments)."""

from __future__ import annotations

from typing import Any

from metta_lit.policy.base import Policy
from metta_lit.policy.cortex import CortexPolicy
from metta_lit.policy.fast import FastPolicy
from metta_lit.policy.lstm import LSTMPolicy
from metta_lit.policy.mamba import MambaPolicy
from metta_lit.policy.vit import ViTPolicy

ARCHITECTURES: dict[str, tuple[type[Policy], dict[str, Any]]] = {
    "fast": (FastPolicy, {}),
    "vit_tiny": (ViTPolicy, {"size": "tiny"}),
    "vit_small": (ViTPolicy, {"size": "small"}),
    "vit_med": (ViTPolicy, {"size": "med"}),
    "lstm": (LSTMPolicy, {}),
    "mamba": (MambaPolicy, {}),
    "cortex": (CortexPolicy, {}),
}
