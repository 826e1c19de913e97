"""Training beside partners: the trainer's partner arguments, the pool they build, its metrics.

``partner_share`` of each env's agents (its last ones) are played by a pool of frozen
policies (:class:`~metta_lit.rl.partners.PartnerPool`), one member per env drawn at every
episode start; the learner trains on its own agents' experience only. ``partner_pool`` names
the members: ``self`` (snapshots of this run's policy, one taken at the start and then every
``partner_snapshot_every`` updates, the ``partner_snapshots`` newest kept), ``random``,
``scripted`` and policy URIs. Every rank builds the same pool (snapshots are taken at the same
update from the weights DDP keeps equal) and draws with its own seed; a checkpoint keeps the
snapshots, so a resumed run plays beside the same past selves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.checkpoints.uri import RANDOM_URI, SCRIPTED_URI
from metta_lit.core.errors import ConfigError
from metta_lit.env import MettaGridConfig
from metta_lit.policy import Policy, RandomPolicy, ScriptedPolicy
from metta_lit.rl.partners import SELF, PartnerPool
from metta_lit.rl.torch_env import EpisodeResult

# Each snapshot is a whole copy of the learner, held in memory and written into every
# checkpoint: 64 copies of the largest shipped policy (a few MB each) stay within a few hundred MB,
# and a league of past selves rarely gains from more (PFSP-style pools keep tens).
MAX_PARTNER_SNAPSHOTS = 64


def partner_agents(hparams: Mapping[str, Any], num_agents: int) -> int:
    """How many of each env's agents the pool plays (0: no partners); checks the arguments."""
    share, pool = hparams["partner_share"], list(hparams["partner_pool"])
    if not 0 <= share < 1:
        raise ConfigError(f"model.partner_share: must be in [0, 1), got {share}")
    if hparams["partner_snapshot_every"] < 0:
        raise ConfigError(f"model.partner_snapshot_every: must be >= 0, got {hparams['partner_snapshot_every']}")
    if not 1 <= hparams["partner_snapshots"] <= MAX_PARTNER_SNAPSHOTS:
        raise ConfigError(
            f"model.partner_snapshots: must be in [1, {MAX_PARTNER_SNAPSHOTS}] (each is a whole copy of the "
            f"policy, in memory and in every checkpoint), got {hparams['partner_snapshots']}"
        )
    if share == 0:
        return 0
    if not pool:
        raise ConfigError("model.partner_pool: a partner_share > 0 needs partners ('self', 'random', 'scripted', URIs)")
    partners = round(num_agents * share)
    if not 0 < partners < num_agents:
        raise ConfigError(
            f"model.partner_share {share} of {num_agents} agents leaves the learner or the partners with none"
        )
    return partners


def build_pool(
    hparams: Mapping[str, Any],
    learner: Policy,
    config: MettaGridConfig,
    feature_spec: dict[str, dict[str, Any]],
    action_names: list[str],
    seed: int,
    device: torch.device,
) -> PartnerPool:
    """The pool ``partner_pool`` names, its policies adapted to this env by name."""
    named: list[tuple[str, Policy]] = []
    for entry in hparams["partner_pool"]:
        if entry == SELF:
            continue
        if entry == RANDOM_URI:
            named.append((RANDOM_URI, RandomPolicy(feature_spec, action_names)))
        elif entry == SCRIPTED_URI:
            named.append((SCRIPTED_URI, ScriptedPolicy.for_env(config, feature_spec, action_names, seed)))
        else:
            policy, key = CheckpointManager.load_for_env(entry, feature_spec, action_names, device)
            named.append((f"{key.run}:v{key.version}", policy.eval()))
    snapshots = hparams["partner_snapshots"] if SELF in hparams["partner_pool"] else 0
    pool = PartnerPool(named, learner, snapshots, hparams["num_envs"], seed).to(device)
    pool.initialize_to_environment(feature_spec, action_names)
    return pool


def partner_metrics(episodes: list[EpisodeResult], learner_agents: int, pool: PartnerPool) -> dict[str, float]:
    """Per partner kind: the learner's agents' mean return (``partners/<kind>/reward``), the
    partners' (``partners/<kind>/partner_reward``) and the episodes; and the pool's size."""
    by_kind: dict[str, list[EpisodeResult]] = defaultdict(list)
    for episode in episodes:
        if episode.partner is not None:
            by_kind[episode.partner].append(episode)
    out = {"partners/pool_size": float(sum(pool.filled)), "partners/snapshots": float(pool.snapshots_taken)}
    for kind, played in sorted(by_kind.items()):
        out[f"partners/{kind}/reward"] = float(np.mean([e.rewards[:learner_agents].mean() for e in played]))
        out[f"partners/{kind}/partner_reward"] = float(np.mean([e.rewards[learner_agents:].mean() for e in played]))
        out[f"partners/{kind}/episodes"] = float(len(played))
    return out
