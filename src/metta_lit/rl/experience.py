"""Experience rows: what the losses read, and the policy's fresh view of them.

A row is one agent's ``bptt_horizon`` consecutive steps. Rows start from the memory the
rollout carried (stored per step), and the policy resets it wherever ``is_init`` is set, so
the learner replays exactly the computation the actor did.
"""

from __future__ import annotations

import torch
from tensordict import TensorDict, TensorDictBase
from torchrl.modules import set_recurrent_mode

from metta_lit.policy import Policy


def memory_keys(policy: Policy) -> list[str]:
    return list(policy.memory_shapes())


@torch.no_grad()
def rows_from_rollout(data: TensorDictBase, policy: Policy, device: torch.device) -> TensorDictBase:
    """Collector output ``[E, A, T]`` -> rows ``[E*A, T]`` with a bootstrap value per row."""
    rows = data.reshape(-1, data.shape[-1])
    nxt = rows["next"]
    keys = memory_keys(policy)
    exp = TensorDict(
        {
            "observation": rows["observation"],
            "is_init": rows["is_init"],
            "action": rows["action"],
            "log_prob": rows["action_log_prob"],
            "values": rows["state_value"].squeeze(-1),
            "rewards": nxt["reward"].squeeze(-1),
            "dones": nxt["done"].squeeze(-1),
            **{k: rows[k] for k in keys},
        },
        batch_size=rows.shape,
    )
    # V(s_T) after each row's last step, from the memory the collector carried forward;
    # stored per step (an expanded view) because TensorDict entries share the [rows, T] dims.
    last = nxt[:, -1].select("observation", *keys).clone()
    last["is_init"] = torch.zeros((last.shape[0], 1), dtype=torch.bool)
    bootstrap = policy(last.to(device))["state_value"].cpu()
    exp["bootstrap_value"] = bootstrap.expand(rows.shape)
    return exp.to(device)


def _forward_rows(policy: Policy, td: TensorDictBase) -> TensorDictBase:
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


def evaluate_rows(policy: Policy, minibatch: TensorDictBase) -> TensorDictBase:
    """The current policy over whole rows, with gradients (recurrent mode over time)."""
    td = _forward_rows(policy, minibatch.select("observation", "is_init", *memory_keys(policy)))
    logits = policy.env_logits(td["logits"])
    dist = torch.distributions.Categorical(logits=logits)
    return TensorDict(
        {
            "logits": logits,
            "state_value": td["state_value"].squeeze(-1),
            "log_prob": dist.log_prob(minibatch["action"]),
            "entropy": dist.entropy(),
        },
        batch_size=minibatch.shape,
    )
