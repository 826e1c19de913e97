"""Policy architectures over token observations."""

from metta_lit.policy.base import Policy
from metta_lit.policy.fast import FastPolicy
from metta_lit.policy.obs import ObsShimBox

__all__ = ["FastPolicy", "ObsShimBox", "Policy"]
