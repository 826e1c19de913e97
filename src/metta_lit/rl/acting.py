"""The one way policies act: a TorchRL actor stepping the TorchRL env.

Training (through the collector), validation, ``evaluate``, ``replay`` and ``play`` all run
``Policy.actor()`` on a :class:`~metta_lit.rl.torch_env.MettaGridTorchEnv` wrapped in the
actor's memory transform, and read finished episodes from the env's
:class:`~metta_lit.rl.torch_env.EpisodeResult` list. When several policies share an env
(evaluation's NPC agents: the candidate acts for the first agents of every env, the NPC for
the rest), :class:`AgentSplitActor` is that actor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence

import torch
from tensordict import TensorDict, TensorDictBase
from tensordict.nn import TensorDictModuleBase, TensorDictSequential
from tensordict.utils import NestedKey
from torch import nn
from torchrl.data import Composite, Unbounded
from torchrl.envs import Compose, InitTracker, TensorDictPrimer, Transform, TransformedEnv
from torchrl.envs.utils import ExplorationType, set_exploration_type, step_mdp

from metta_lit.core.threads import process_threads
from metta_lit.policy import Policy
from metta_lit.rl.teacher import Teacher
from metta_lit.rl.torch_env import EpisodeResult, MettaGridTorchEnv


class AgentSplitActor(TensorDictModuleBase):
    """Policies acting for consecutive slices of every env's agents, as one actor.

    Member ``i`` acts for ``counts[i]`` agents after those of the members before it. Each
    member keeps its memory under its own key ``("agents_<i>", <its memory key>)``, so members
    of different architectures never share or overwrite a recurrent state; the memory of an
    agent outside a member's slice stays zero and is never read. Member 0's outputs named in
    ``keep`` (``state_value``...) are kept too, zero for the other agents: in training with
    partners it is the learner, and its losses read them (see :func:`learner_rollout`).
    """

    def __init__(
        self,
        members: Sequence[tuple[Policy, int]],
        autocast: torch.dtype | None = None,
        keep: Collection[NestedKey] = (),
    ) -> None:
        super().__init__()
        self.keep = [key for key in keep if isinstance(key, str)]  # member 0's own outputs (not "next")
        self.policies = nn.ModuleList(policy for policy, _ in members)
        self.counts = [count for _, count in members]
        self.actors = [policy.actor(autocast) for policy, _ in members]
        self.in_keys = ["observation", "is_init", *self._memory_keys()]
        self.out_keys = ["action", "action_log_prob", *(("next", *key) for key in self._memory_keys())]

    @staticmethod
    def namespace(i: int) -> str:
        return f"agents_{i}"

    def _memory_keys(self) -> list[tuple[str, str]]:
        return [(self.namespace(i), key) for i, p in enumerate(self.policies) for key in p.memory_shapes()]

    def memory_transform(self, batch_size: torch.Size) -> Transform:
        """``is_init`` plus every member's zeroed memory under its namespace (``[E, A, ...]``)."""
        specs = {
            self.namespace(i): Composite(
                {key: Unbounded(shape=(*batch_size, *shape)) for key, shape in p.memory_shapes().items()},
                shape=batch_size,
            )
            for i, p in enumerate(self.policies)
            if p.memory_shapes()
        }
        if not specs:
            return Compose(InitTracker())
        return Compose(InitTracker(), TensorDictPrimer(Composite(specs, shape=batch_size)))

    def forward(self, td: TensorDictBase) -> TensorDictBase:
        actions, log_probs, start = [], [], 0
        for i, (policy, actor, count) in enumerate(zip(self.policies, self.actors, self.counts, strict=True)):
            agents = slice(start, start + count)
            start += count
            memory = list(policy.memory_shapes())
            ns = self.namespace(i)
            sub = TensorDict(
                {
                    "observation": td["observation"][:, agents],
                    "is_init": td["is_init"][:, agents],
                    **{key: td[ns, key][:, agents] for key in memory},
                },
                batch_size=[td.shape[0], count],
                device=td.device,
            )
            out = actor(sub)
            actions.append(out["action"])
            log_probs.append(out["action_log_prob"])
            if i == 0:
                self._keep_outputs(td, out, agents)
            for key in memory:
                carried = td[ns, key].clone()
                carried[:, agents] = out["next", key]
                td["next", ns, key] = carried
        td["action"] = torch.cat(actions, dim=1)
        td["action_log_prob"] = torch.cat(log_probs, dim=1)
        return td

    def _keep_outputs(self, td: TensorDictBase, out: TensorDictBase, agents: slice) -> None:
        for key in self.keep:
            if key in ("action", "action_log_prob") or key not in out.keys():
                continue
            value = out[key]
            full = torch.zeros((*td.shape, *value.shape[2:]), dtype=value.dtype, device=value.device)
            full[:, agents] = value
            td[key] = full


def learner_rollout(rollout: TensorDictBase, agents: int, policy: Policy) -> TensorDictBase:
    """The part of an :class:`AgentSplitActor` rollout (``[E, A, T]``) that its member 0 (the
    learner) acted for, its first ``agents`` agents, with the learner's memory moved from its
    namespace to the keys the policy reads: to the losses, a rollout of its own."""
    part = rollout[:, :agents]
    namespace = AgentSplitActor.namespace(0)
    for key in policy.memory_shapes():
        part[key] = part[namespace, key]
        part["next", key] = part["next", namespace, key]
    return part


def acting_env(
    env: MettaGridTorchEnv,
    members: Sequence[tuple[Policy, int]],
    companions: Sequence[Teacher] = (),
    autocast: torch.dtype | None = None,
    keep: Collection[NestedKey] = (),
) -> tuple[TransformedEnv, TensorDictModuleBase]:
    """``env`` wrapped in the memory transform of the actor that runs ``members`` (policy,
    number of agents) on it, and that actor; one member acts through its own ``actor()``.
    Each policy is first adapted to the env's features and actions by name. ``companions``
    (a loss's teacher) run after the actor on every step, with their own memory. The
    members' networks run under ``autocast`` when given (see :mod:`metta_lit.policy.precision`).
    With several members, ``keep`` names the first member's outputs the rollout keeps."""
    if sum(count for _, count in members) != env.vec.num_agents:
        raise ValueError(f"the members act for {[c for _, c in members]} agents; the env has {env.vec.num_agents}")
    members = [(policy, count) for policy, count in members if count > 0]
    for policy in [p for p, _ in members] + [c.policy for c in companions]:
        policy.initialize_to_environment(env.feature_spec, env.action_names)
    if len(members) == 1:
        actor, transform = members[0][0].actor(autocast), members[0][0].memory_transform()
    else:
        actor = AgentSplitActor(members, autocast, keep)
        transform = actor.memory_transform(env.batch_size)
    wrapped = TransformedEnv(env, transform)
    if not companions:
        return wrapped, actor
    for companion in companions:
        if (primer := companion.memory_transform(env.batch_size)) is not None:
            wrapped.append_transform(primer)
    return wrapped, TensorDictSequential(actor, *companions)


@torch.no_grad()
def act(
    env: TransformedEnv,
    actor: TensorDictModuleBase,
    until: Callable[[], bool],
    device: torch.device | str = "cpu",
    before_step: Callable[[TensorDictBase], bool] | None = None,
) -> None:
    """Steps ``env`` with ``actor`` (sampling its actions) from a reset until ``until()``.

    ``until`` is asked after every step, before finished envs are reset, so the state that
    ended an episode is still there to look at when it stops. ``before_step(td)`` sees each
    step's actions before the env does and may change them (``play`` puts the keyboard's
    action there); returning False stops at once.
    """
    td = env.reset()
    with set_exploration_type(ExplorationType.RANDOM):
        while True:
            td = actor(td.to(device)).to("cpu")
            if before_step is not None and not before_step(td):
                return
            td = env.step(td)
            if until():
                return
            # What TorchRL's step_and_maybe_reset does, split so `until` sees the last state.
            td = env.maybe_reset(step_mdp(td, keep_other=True, exclude_action=True, exclude_reward=True))


def play_episodes(
    base: MettaGridTorchEnv,
    members: Sequence[tuple[Policy, int]],
    quota: Sequence[int],
    device: torch.device | str = "cpu",
    autocast: torch.dtype | None = None,
    max_seconds: float = float("inf"),
) -> list[EpisodeResult]:
    """Plays until env ``e`` of ``base`` has finished ``quota[e]`` episodes (or ``max_seconds``
    passed); returns those episodes in the order they ended and closes the env. Episodes past an
    env's quota are neither returned nor recorded as replays. Validation and evaluation both play
    through here."""
    env, actor = acting_env(base, members, autocast=autocast)
    episodes: list[EpisodeResult] = []
    finished = [0] * len(quota)
    deadline = time.monotonic() + max_seconds
    threads = process_threads()  # torch's threads follow the load, as in training (core.threads)

    def done() -> bool:
        threads.follow()  # called every step
        for episode in base.pop_finished_episodes():
            e = episode.env
            if finished[e] < quota[e]:
                finished[e] += 1
                episodes.append(episode)
            base.recording[e] = finished[e] < quota[e]
        return all(f >= q for f, q in zip(finished, quota, strict=True)) or time.monotonic() >= deadline

    act(env, actor, until=done, device=device)
    env.close()
    return episodes
