"""Training: the LightningModule, loss composition, rollouts, threads, loggers and callbacks.

Trainers are named here by their losses: ``metta_lit.train.PPO`` (the default),
``metta_lit.train.PPO_Contrastive``... (see :mod:`metta_lit.train.compose`).
"""

from metta_lit.train.compose import compose, composed
from metta_lit.train.module import MettaLitModule

__all__ = ["MettaLitModule", "compose"]


def __getattr__(name: str) -> type[MettaLitModule]:
    return composed(name)
