"""Policy architectures over token observations."""

from metta_lit.policy.base import Policy, PolicyEnvError
from metta_lit.policy.fast import FastPolicy
from metta_lit.policy.obs import ObsShimBox
from metta_lit.policy.random import RandomPolicy
from metta_lit.policy.scripted import ScriptedPolicy

__all__ = ["FastPolicy", "ObsShimBox", "Policy", "PolicyEnvError", "RandomPolicy", "ScriptedPolicy"]
