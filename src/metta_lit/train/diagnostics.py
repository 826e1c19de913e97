"""Training-health diagnostics logged with every update (``diag/*``), and the collapse warning.

A run that collapses shows it here before its reward says so: measured on ``teams_2v2``, policy
entropy fell from 1.78 to 0.03 within ~200k agent steps onto the one action that paid shaped
reward, and the run ended below random. What each diagnostic tells:

- ``diag/grad_norm/<group>``: the gradient's L2 norm per part of the network (the policy's
  top-level modules, the actor and critic heads apart), before clipping, averaged over the
  update's minibatches; ``diag/grad_norm`` is the whole network's (same mean) and ``diag/clipped`` the
  fraction of minibatches whose norm exceeded ``max_grad_norm`` (clipping then rescaled them).
- ``diag/minibatches``: how many minibatches the update made (fewer than its epochs times its
  minibatches when a loss ended it early, e.g. PPO's ``target_kl``).
- ``diag/dead_units``: the fraction of ReLU units that output zero for every row of the
  update's first minibatch (a unit dead for a whole minibatch gets no gradient).
- ``diag/collapse``: 1 for the update whose entropy and reward show the collapse signature
  (:class:`CollapseWatch`), when a warning line is also printed; 0 otherwise.

KL, clip fraction, entropy and explained variance are the PPO loss's (``losses/ppo/*``), as are
the value and return scales. The policy has one action head (a categorical over the env's flat
action catalog), so its entropy is the one per head.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator

import torch
from torch import nn


def parameter_group(name: str) -> str:
    """The group a parameter's gradient norm is logged under: the policy's top-level module
    (``encoder``, ``lstm``...), with an ``actor`` or ``critic`` inside it apart (their gradients
    answer different questions: is the policy still moving, is the value still fitting)."""
    parts = name.split(".")
    if len(parts) > 2 and parts[1] in ("actor", "critic"):
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


class UpdateDiagnostics:
    """Gradient norms per group over an update's minibatches, and dead ReLU units in one
    minibatch per update; :meth:`metrics` returns the update's values and starts the next."""

    def __init__(self, policy: nn.Module, max_grad_norm: float) -> None:
        self.policy, self.max_grad_norm = policy, max_grad_norm
        self.groups: dict[str, list[nn.Parameter]] = {}
        for name, param in policy.named_parameters():  # shared modules appear once
            if param.requires_grad:
                self.groups.setdefault(parameter_group(name), []).append(param)
        self._relus = [m for m in policy.modules() if isinstance(m, nn.ReLU)]
        self._reset()

    def _reset(self) -> None:
        # Sums over the update as tensors: reading a value each minibatch would wait for an accelerator.
        self._norms: dict[str, torch.Tensor | float] = dict.fromkeys(self.groups, 0.0)
        self._total: torch.Tensor | float = 0.0
        self._clipped: torch.Tensor | float = 0.0
        self._minibatches = 0
        self._dead = self._units = 0

    def after_backward(self) -> None:
        """Call after each minibatch's backward, before clipping."""
        squares = []
        for group, params in self.groups.items():
            grads = [p.grad for p in params if p.grad is not None]
            if grads:
                norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
                self._norms[group] = self._norms[group] + norm
                squares.append(norm.square())
        if squares:
            total = torch.stack(squares).sum().sqrt()
            self._total = self._total + total
            self._clipped = self._clipped + (total > self.max_grad_norm).float()
        self._minibatches += 1

    @contextlib.contextmanager
    def watching_units(self) -> Iterator[None]:
        """Counts dead ReLU units in the forward passes inside the block (one minibatch's)."""

        def count(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            unit_dim = 1 if output.dim() == 4 else output.dim() - 1  # conv channels, else features
            active = (output.detach() > 0).movedim(unit_dim, 0).flatten(1).any(dim=1)
            self._dead += int((~active).sum())
            self._units += active.numel()

        handles = [relu.register_forward_hook(count) for relu in self._relus]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()

    def metrics(self) -> dict[str, float]:
        """This update's ``diag/*`` (means over its minibatches); then starts the next update."""
        out: dict[str, float] = {}
        if self._minibatches:
            norms = {g: float(n) / self._minibatches for g, n in self._norms.items()}
            out = {f"diag/grad_norm/{g}": n for g, n in norms.items()}
            out["diag/grad_norm"] = float(self._total) / self._minibatches
            out["diag/clipped"] = float(self._clipped) / self._minibatches
            out["diag/minibatches"] = float(self._minibatches)
        if self._units:
            out["diag/dead_units"] = self._dead / self._units
        self._reset()
        return out


class CollapseWatch:
    """The collapse signature: within ``window`` agent steps, policy entropy fell to less than
    half of its highest value while the episode reward fell (the mean of the window's later
    half below its earlier half). Entropy also falls as a policy learns, but then reward rises.
    Warns once per collapse: again only after entropy recovered above half of the window's peak."""

    def __init__(self, window: int = 500_000) -> None:
        self.window = window
        self._points: deque[tuple[int, float, float | None]] = deque()
        self._warned = False

    def add(self, agent_steps: int, entropy: float, reward: float | None) -> str | None:
        """One update's entropy and episode reward (None: no episode finished); the warning
        line when this update completes the signature, else None."""
        self._points.append((agent_steps, entropy, reward))
        while self._points[0][0] < agent_steps - self.window:
            self._points.popleft()
        peak = max(e for _, e, _ in self._points)
        low = entropy < 0.5 * peak
        if not low:
            self._warned = False
            return None
        rewards = [(s, r) for s, _, r in self._points if r is not None]
        if self._warned or len(rewards) < 4:
            return None
        half = len(rewards) // 2
        before = sum(r for _, r in rewards[:half]) / half
        after = sum(r for _, r in rewards[half:]) / (len(rewards) - half)
        if after >= before:
            return None
        self._warned = True
        start = self._points[0][0]
        return (
            f"[metta-lit] warning: policy entropy fell from {peak:.3f} to {entropy:.3f} between agent steps "
            f"{start:,} and {agent_steps:,} while episode reward fell from {before:.3f} to {after:.3f}: "
            "the signature of a policy collapsing onto a few actions (see diag/* and losses/*/entropy)"
        )
