"""Cooperation metrics of one episode (``coop/*``), from its returns and stats.

What a cooperation question is measured by, per episode:

- per team (group): ``coop/<team>/return``, the sum of its members' returns, and
  ``coop/<team>/gini``, the Gini coefficient of those returns (0: equal shares; 1: one member
  has everything), left out where the team's mean return is not positive;
- ``coop/assembler_uses_alone`` and ``coop/assembler_uses_together``: assembler uses with one
  agent beside it and with two or more (the native ``<name>.uses.agents_*`` game stats);
- ``coop/items_shared``: items handed to another agent by moving into it (``<item>.shared``),
  and ``coop/chest_passed``: units withdrawn from a chest by another agent than the one that
  deposited them (``chest.<item>.passed``);
- signalling: ``coop/<assembler>/protocol_<k>_uses``, the uses of each protocol of an assembler
  that chooses by vibes (``<name>.uses.protocol_<k>``), and ``coop/vibe_changes``, how often
  agents changed their vibe (``action.change_vibe.success``);
- clipping: ``coop/clips`` and ``coop/repairs``, stations clipped and repaired by agents
  together (``clipper.clips`` / ``clipper.repairs``);
- ``coop/attacks_own_team`` and ``coop/attacks_other_team``: hits by group against group
  (``action.attack.<g>.hit.<h>``), and ``coop/steals_own_team`` / ``coop/steals_other_team``:
  items stolen from the stealer's own group or another (``steals.<item>.from.<g>``).

Counts are left out when nothing of the kind can happen in the env (its stats are absent).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

HIT = re.compile(r"action\.attack\.(.+)\.hit\.(.+)$")
PROTOCOL = re.compile(r"(.+)\.uses\.protocol_(\d+)$")
STEAL = re.compile(r"steals\.(.+)\.from\.(.+)$")


def gini(values: np.ndarray) -> float | None:
    """Mean absolute difference over twice the mean; None when the mean is not positive."""
    mean = float(np.mean(values))
    if mean <= 0:
        return None
    return float(np.abs(values[:, None] - values[None, :]).mean() / (2 * mean))


def cooperation_metrics(
    returns: np.ndarray,
    agent_teams: Sequence[str],
    stat_names: Sequence[str],
    agent_stats: np.ndarray,
    game_stats: np.ndarray,
) -> dict[str, float]:
    """``coop/*`` of one episode: ``returns`` [agents], each agent's team name, and the stats
    (``agent_stats`` [agents, stats], ``game_stats`` [stats]) over ``stat_names``."""
    out: dict[str, float] = {}
    teams = np.asarray(agent_teams)
    for team in dict.fromkeys(agent_teams):
        members = returns[teams == team].astype(np.float64)
        out[f"coop/{team}/return"] = float(members.sum())
        g = gini(members)
        if g is not None:
            out[f"coop/{team}/gini"] = g

    alone = together = shared = passed = None
    hits = {True: 0.0, False: 0.0}
    steals = {True: 0.0, False: 0.0}
    has_hits = has_steals = False
    per_agent = agent_stats.sum(0)
    for s, name in enumerate(stat_names):
        if name.endswith(".uses.agents_1"):
            alone = (alone or 0.0) + float(game_stats[s])
        elif name.endswith((".uses.agents_2", ".uses.agents_3+")):
            together = (together or 0.0) + float(game_stats[s])
        elif name.endswith(".shared"):
            shared = (shared or 0.0) + float(per_agent[s])
        elif name.startswith("chest.") and name.endswith(".passed"):
            passed = (passed or 0.0) + float(game_stats[s])
        elif match := PROTOCOL.match(name):
            out[f"coop/{match.group(1)}/protocol_{match.group(2)}_uses"] = float(game_stats[s])
        elif name == "action.change_vibe.success":
            out["coop/vibe_changes"] = float(per_agent[s])
        elif name in ("clipper.clips", "clipper.repairs"):
            out[f"coop/{name.removeprefix('clipper.')}"] = float(game_stats[s])
        elif match := HIT.match(name):
            has_hits = True
            hits[match.group(1) == match.group(2)] += float(per_agent[s])
        elif match := STEAL.match(name):
            has_steals = True
            for a, team in enumerate(agent_teams):
                steals[team == match.group(2)] += float(agent_stats[a, s])
    if together is not None:
        out["coop/assembler_uses_alone"] = alone or 0.0
        out["coop/assembler_uses_together"] = together
    if shared is not None:
        out["coop/items_shared"] = shared
    if passed is not None:
        out["coop/chest_passed"] = passed
    if has_hits:
        out["coop/attacks_own_team"], out["coop/attacks_other_team"] = hits[True], hits[False]
    if has_steals:
        out["coop/steals_own_team"], out["coop/steals_other_team"] = steals[True], steals[False]
    return out
