"""Policy architectures over token observations."""

from metta_lit.policy.base import Policy, PolicyEnvError
from metta_lit.policy.cortex import CortexPolicy
from metta_lit.policy.fast import FastPolicy
from metta_lit.policy.lstm import LSTMPolicy
from metta_lit.policy.mamba import MambaPolicy
from metta_lit.policy.obs import ObsShimBox
from metta_lit.policy.random import RandomPolicy
from metta_lit.policy.scripted import ScriptedPolicy
from metta_lit.policy.vit import ViTPolicy

__all__ = [
    "CortexPolicy",
    "FastPolicy",
    "LSTMPolicy",
    "MambaPolicy",
    "ObsShimBox",
    "Policy",
    "PolicyEnvError",
    "RandomPolicy",
    "ScriptedPolicy",
    "ViTPolicy",
]
