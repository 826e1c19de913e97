"""The bucketed curriculum: every task of the bucket product equally likely."""

from __future__ import annotations

from metta_lit.curriculum.base import Curriculum


class BucketedCurriculum(Curriculum):
    """Uniform over the Cartesian product of the buckets (domain randomization)."""

    def sample_id(self) -> int:
        return self.space.random_id(self.rng)

    def probabilities(self) -> dict[int, float]:
        """Uniform; listed only for small spaces (the marginals below need no listing)."""
        if self.space.size > 4096:
            return {}
        return dict.fromkeys(range(self.space.size), 1.0 / self.space.size)

    def marginals(self) -> dict[str, float]:
        return self.space.marginals_uniform()
