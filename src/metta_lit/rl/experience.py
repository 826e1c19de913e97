"""Experience rows: what the losses read, and the policy's fresh view of them.

A row is one agent's ``bptt_horizon`` consecutive steps. Rows keep the policy's inputs (its
observation, ``is_init``, the action taken and the memory the rollout carried, stored per
step) plus the rollout keys the losses declare (see :mod:`metta_lit.losses.base`). The policy
resets memory wherever ``is_init`` is set, so the learner replays exactly the computation the
actor did.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from tensordict import TensorDictBase
from tensordict.utils import NestedKey
from torchrl.modules import set_recurrent_mode

from metta_lit.core.errors import MettaLitError
from metta_lit.policy import Policy
from metta_lit.policy.precision import as_fp32

# Asked for by a loss that needs V(s_T) after each row's last step (bootstrapping returns).
BOOTSTRAP_VALUE = "bootstrap_value"


def policy_input_keys(policy: Policy) -> list[str]:
    """What re-running ``policy`` over a row needs: its observation, episode starts and memory."""
    return ["observation", "is_init", *policy.memory_shapes()]


@torch.no_grad()
def rows_from_rollout(
    data: TensorDictBase, policy: Policy, keys: Iterable[NestedKey], device: torch.device
) -> TensorDictBase:
    """Collector output ``[E, A, T]`` -> rows ``[E*A, T]`` holding the policy's inputs, the
    actions, ``active`` (which steps an agent played: losses leave the others out) and the
    declared ``keys`` (``"bootstrap_value"``: V(s_T) after each row)."""
    rows = data.reshape(-1, data.shape[-1])
    keys = set(keys) | ({"active"} if "active" in rows.keys() else set())
    wanted = [*policy_input_keys(policy), "action", *sorted(keys - {BOOTSTRAP_VALUE}, key=str)]
    missing = [key for key in wanted if key not in rows.keys(include_nested=True)]
    if missing:
        raise MettaLitError(
            f"the losses read rollout keys {missing} that the collector does not produce "
            f"(it has {sorted(rows.keys(include_nested=True, leaves_only=True), key=str)})"
        )
    exp = rows.select(*wanted)
    if BOOTSTRAP_VALUE in keys:
        # V(s_T) after each row's last step, from the memory the collector carried forward;
        # stored per step (an expanded view) because TensorDict entries share the [rows, T] dims.
        nxt = rows["next"]
        last = nxt[:, -1].select("observation", *policy.memory_shapes()).clone()
        last["is_init"] = torch.zeros((last.shape[0], 1), dtype=torch.bool)
        bootstrap = policy(last.to(device))["state_value"].cpu()
        exp[BOOTSTRAP_VALUE] = bootstrap[:, None].expand(*rows.shape, 1)  # shaped like state_value
    return exp.to(device)


def forward_rows(policy: Policy, td: TensorDictBase) -> TensorDictBase:
    """Policy over rows ``[B, T]``. TorchRL's recurrent LSTM splits and pads *every* row of a
    batch as soon as one row has an episode start after t=0; such rows are rare, so they take
    that path on their own and the others run as plain sequences (same result, ~2x faster)."""
    resets = td["is_init"][:, 1:].reshape(td.shape[0], -1).any(1)
    with set_recurrent_mode(True):
        if not resets.any() or resets.all():
            return policy(td)
        plain, split = (~resets).nonzero().squeeze(1), resets.nonzero().squeeze(1)
        out = torch.cat([policy(td[plain]), policy(td[split])])
    return out[torch.argsort(torch.cat([plain, split]))]


def evaluate_rows(policy: Policy, minibatch: TensorDictBase, autocast: torch.dtype | None = None) -> TensorDictBase:
    """The current policy over whole rows, with gradients (recurrent mode over time): its whole
    forward output, ``logits`` narrowed to the env's actions, and the ``action_log_prob`` and
    ``entropy`` of the actions the rows took. With ``autocast`` the network runs in that
    dtype; what the losses read comes back in fp32 (see :mod:`metta_lit.policy.precision`)."""
    inputs = minibatch.select(*policy_input_keys(policy))
    if autocast is None:
        td = forward_rows(policy, inputs)
    else:
        with torch.autocast(policy.device.type, dtype=autocast):
            td = forward_rows(policy, inputs)
        td = as_fp32(td, policy.out_keys)
    td["logits"] = policy.env_logits(td["logits"])
    dist = torch.distributions.Categorical(logits=td["logits"])
    td["action_log_prob"] = dist.log_prob(minibatch["action"])
    td["entropy"] = dist.entropy()
    return td
