"""Losses as LightningModule mixins, plus their plain-tensor math."""

from metta_lit.losses.base import LossMixin
from metta_lit.losses.ppo import PPOLoss

__all__ = ["LossMixin", "PPOLoss"]
