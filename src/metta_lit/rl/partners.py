"""A partner pool: frozen policies that take turns acting for the partner agents of each env.

In training with partners, each env's first agents are the learner's and its last ones are
the pool's. At every episode start of an env (the env calls :meth:`PartnerPool.start_episodes`
from its reset) the pool draws which member plays that env's partners for the episode, and
tags the episode with the member's kind, so metrics split by partner. The pool is one member
of the one acting path, :class:`~metta_lit.rl.acting.AgentSplitActor`: to it the pool is a
policy whose actor sends each env's agents to that env's member.

Members are named policies (``random``, ``scripted``, policy files) and snapshot slots: frozen
copies of the learner that :meth:`PartnerPool.add_snapshot` fills in turn (self-play against
past selves). The slots exist from the start, so the memory keys the env primes never change.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from tensordict import TensorDict, TensorDictBase
from tensordict.nn import TensorDictModuleBase

from metta_lit.policy import Policy

SELF = "self"  # the kind of the learner's snapshots


class PartnerPool(Policy):
    """``named`` (kind, frozen policy) members plus ``snapshots`` slots shaped like ``learner``."""

    def __init__(
        self, named: Sequence[tuple[str, Policy]], learner: Policy, snapshots: int, num_envs: int, seed: int
    ) -> None:
        super().__init__(learner.feature_spec, learner.action_names)
        self.kinds = [kind for kind, _ in named] + [SELF] * snapshots
        self.members = torch.nn.ModuleList([policy for _, policy in named])
        for _ in range(snapshots):
            self.members.append(copy.deepcopy(learner))
        self.members.requires_grad_(False)
        self.members.eval()
        self.filled = [True] * len(named) + [False] * snapshots
        self.next_slot = 0  # the snapshot slot the next snapshot replaces (oldest first)
        self.snapshots_taken = 0
        self.generator = torch.Generator().manual_seed(seed)
        self.choice = torch.zeros(num_envs, dtype=torch.long)  # the member playing each env's episode

    # --- the pool's content ---------------------------------------------------------------
    def add_snapshot(self, learner: Policy) -> None:
        """A frozen copy of ``learner``'s weights joins the pool (replacing the oldest snapshot)."""
        slots = [i for i, kind in enumerate(self.kinds) if kind == SELF]
        if not slots:
            return
        slot = slots[self.next_slot % len(slots)]
        self.members[slot].load_state_dict(learner.state_dict())
        self.filled[slot] = True
        self.next_slot = (self.next_slot + 1) % len(slots)
        self.snapshots_taken += 1

    def state(self) -> dict[str, Any]:
        """What a checkpoint keeps: the snapshots' weights, which slots hold one, and the draws."""
        return {
            "snapshots": {i: self.members[i].state_dict() for i, k in enumerate(self.kinds) if k == SELF},
            "filled": list(self.filled),
            "next_slot": self.next_slot,
            "snapshots_taken": self.snapshots_taken,
            "generator": self.generator.get_state(),
        }

    def draws(self) -> dict[str, torch.Tensor]:
        """Where this rank's draws stand: the generator and the member playing each env's
        episode (a resume that continues the episodes restores both)."""
        return {"generator": self.generator.get_state(), "choice": self.choice.clone()}

    def load_draws(self, draws: dict[str, torch.Tensor]) -> None:
        if draws["choice"].shape != self.choice.shape:
            raise ValueError(
                f"the checkpoint's partner draws cover {len(draws['choice'])} envs; this run has {len(self.choice)}"
            )
        self.generator.set_state(draws["generator"])
        self.choice.copy_(draws["choice"])

    def load(self, state: dict[str, Any]) -> None:
        if len(state["filled"]) != len(self.kinds):
            raise ValueError(
                f"the checkpoint's partner pool has {len(state['filled'])} members; this run's has {len(self.kinds)}"
            )
        for i, weights in state["snapshots"].items():
            self.members[int(i)].load_state_dict(weights)
        self.filled = list(state["filled"])
        self.next_slot, self.snapshots_taken = int(state["next_slot"]), int(state["snapshots_taken"])
        self.generator.set_state(state["generator"])

    # --- drawing per episode --------------------------------------------------------------
    def start_episodes(self, envs: Sequence[int]) -> dict[int, str]:
        """Draws the member of each env starting an episode; returns each env's partner kind."""
        available = torch.tensor([i for i, filled in enumerate(self.filled) if filled])
        if len(available) == 0:
            raise RuntimeError("the partner pool has no member yet (a snapshot must be taken first)")
        envs = list(envs)
        drawn = available[torch.randint(len(available), (len(envs),), generator=self.generator)]
        self.choice[envs] = drawn
        return {e: self.kinds[int(m)] for e, m in zip(envs, drawn.tolist(), strict=True)}

    # --- acting ---------------------------------------------------------------------------
    def memory_key(self, member: int, key: str) -> str:
        return f"partner_{member}_{key}"

    def memory_shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            self.memory_key(i, key): shape
            for i, member in enumerate(self.members)
            for key, shape in member.memory_shapes().items()
        }

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str]) -> None:
        for member in self.members:
            member.initialize_to_environment(feature_spec, action_names)

    def forward(self, td: TensorDictBase) -> TensorDictBase:
        raise NotImplementedError("a partner pool acts through actor(): each env has its own member")

    def actor(self, autocast: torch.dtype | None = None) -> TensorDictModuleBase:
        return PoolActor(self, autocast)


class PoolActor(TensorDictModuleBase):
    """Runs each env's drawn member on that env's agents (``[E, partners]``)."""

    def __init__(self, pool: PartnerPool, autocast: torch.dtype | None) -> None:
        super().__init__()
        self.pool = pool
        self.actors = [member.actor(autocast) for member in pool.members]
        memory = list(pool.memory_shapes())
        self.in_keys = ["observation", "is_init", *memory]
        self.out_keys = ["action", "action_log_prob", *(("next", key) for key in memory)]

    @torch.no_grad()
    def forward(self, td: TensorDictBase) -> TensorDictBase:
        pool, choice = self.pool, self.pool.choice.to(td.device)
        actions = torch.zeros(td.shape, dtype=torch.long, device=td.device)
        log_probs = torch.zeros(td.shape, device=td.device)
        for i, member in enumerate(pool.members):
            keys = list(member.memory_shapes())
            for key in keys:  # unchanged unless this member plays an env
                td["next", pool.memory_key(i, key)] = td[pool.memory_key(i, key)].clone()
            envs = (choice == i).nonzero().squeeze(1)
            if len(envs) == 0:
                continue
            sub = TensorDict(
                {
                    "observation": td["observation"][envs],
                    "is_init": td["is_init"][envs],
                    **{key: td[pool.memory_key(i, key)][envs] for key in keys},
                },
                batch_size=[len(envs), td.shape[1]],
                device=td.device,
            )
            out = self.actors[i](sub)
            actions[envs] = out["action"]
            log_probs[envs] = out["action_log_prob"]
            for key in keys:
                td["next", pool.memory_key(i, key)][envs] = out["next", key]
        td["action"], td["action_log_prob"] = actions, log_probs
        return td
