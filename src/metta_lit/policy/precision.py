"""Mixed precision for rollouts and updates: bf16 autocast where it pays, fp32 elsewhere.

Only the policy's network runs under autocast. Everything downstream stays fp32: action
sampling and its log-probabilities, the memory the rollout stores, and every loss, because
PPO's ratio of two probabilities and the value targets lose too much in bf16's 8 bits of
mantissa.

Where bf16 pays was measured, not assumed. GPUs with bf16 tensor cores and CPUs with AMX
tiles (Sapphire Rapids and later) run its matrix products in hardware. A CPU with only
AVX512-BF16 converts at every layer: on a 2-core Xeon with AVX512-BF16 and no AMX, the
Fast policy ran 25-40% *slower* in bf16 than in fp32, both acting and training, so ``auto``
keeps such a CPU in fp32.
"""

from __future__ import annotations

from typing import Literal

import torch
from tensordict import TensorDictBase
from tensordict.nn import TensorDictModuleBase

Autocast = Literal["auto", "bf16", "off"]


def bf16_pays(device: torch.device) -> bool:
    """Whether ``device`` has bf16 matrix hardware: a CUDA GPU with bf16, or a CPU with AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return torch.cpu._is_amx_tile_supported()
    return False


def autocast_dtype(setting: Autocast, device: torch.device) -> torch.dtype | None:
    """The autocast dtype ``setting`` means on ``device`` (None: plain fp32)."""
    if setting == "off":
        return None
    if setting == "bf16" or bf16_pays(device):
        return torch.bfloat16
    return None


def as_fp32(td: TensorDictBase, keys: list) -> TensorDictBase:
    """``td`` with its floating ``keys`` cast back to fp32 (in place)."""
    for key in keys:
        value = td.get(key, None)
        if value is not None and value.is_floating_point() and value.dtype != torch.float32:
            td.set(key, value.float())
    return td


class AutocastModule(TensorDictModuleBase):
    """Runs a TensorDict module under bf16 autocast and hands back its outputs in fp32, so
    what follows (sampling, stored memory, losses) never sees bf16."""

    def __init__(self, module: TensorDictModuleBase, device_type: str, dtype: torch.dtype = torch.bfloat16) -> None:
        super().__init__()
        self.module, self.device_type, self.dtype = module, device_type, dtype
        self.in_keys, self.out_keys = list(module.in_keys), list(module.out_keys)

    def forward(self, td: TensorDictBase) -> TensorDictBase:
        with torch.autocast(self.device_type, dtype=self.dtype):
            td = self.module(td)
        return as_fp32(td, self.out_keys)
