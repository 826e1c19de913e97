"""Cooperation metrics of one episode (``coop/*``), from its returns and stats.

Stats are found by their typed keys (``MettaGridVecEnv.stat_keys``: ``(kind, a, b)`` per stat,
from the native env), never by the spelling of their names.

What a cooperation question is measured by, per episode:

- per team (group): ``coop/<team>/return``, the sum of its members' returns, and
  ``coop/<team>/gini``, the Gini coefficient of those returns (0: equal shares; 1: one member
  has everything), left out where the team's mean return is not positive;
- ``coop/assembler_uses_alone`` and ``coop/assembler_uses_together``: assembler uses with one
  agent beside it and with two or more (the native ``<name>.uses.agents_*`` game stats);
- ``coop/items_shared``: items handed to another agent by moving into it (``<item>.shared``),
  and ``coop/chest_passed``: units withdrawn from a chest by another agent than the one that
  deposited them (``chest.<item>.passed``);
- a commons: ``coop/commons_left``, what the chests hold at the episode's end
  (``chest.<item>.amount``), and ``coop/commons_regrown``, what regrowing chests added
  (``chest.<item>.regrown``): what a group's harvesting leaves and lets grow back;
- signalling: ``coop/<assembler>/protocol_<k>_uses``, the uses of each protocol of an assembler
  that chooses by vibes (``<name>.uses.protocol_<k>``), ``coop/vibe_changes``, how often
  agents changed their vibe (``action.change_vibe.success``), and ``coop/vibe_action_mi``, the
  mutual information (bits) between a vibe shown and the next action of an agent that saw it
  (Jaques et al.'s instantaneous coordination; from the ``signal.<vibe>.<action>`` counts). A
  plug-in estimate over one episode's counts, it is above 0 even for random agents: read it
  against a random policy's on the same env;
- clipping: ``coop/clips`` and ``coop/repairs``, stations clipped and repaired by agents
  together (``clipper.clips`` / ``clipper.repairs``);
- ``coop/attacks_own_team`` and ``coop/attacks_other_team``: hits by group against group
  (``action.attack.<g>.hit.<h>``), and ``coop/steals_own_team`` / ``coop/steals_other_team``:
  items stolen from the stealer's own group or another (``steals.<item>.from.<g>``).

Counts are left out when nothing of the kind can happen in the env (its stats are absent).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

StatKey = tuple[str, str, str]  # (kind, a, b), as the native env keys each stat


def gini(values: np.ndarray) -> float | None:
    """Mean absolute difference over twice the mean; None when the mean is not positive."""
    mean = float(np.mean(values))
    if mean <= 0:
        return None
    return float(np.abs(values[:, None] - values[None, :]).mean() / (2 * mean))


def mutual_information(counts: np.ndarray) -> float | None:
    """Mutual information in bits of a joint count table ``[x, y]`` (plug-in estimate);
    None when it holds no counts."""
    total = counts.sum()
    if total <= 0:
        return None
    joint = counts / total
    px, py = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / (px @ py)[seen])).sum())


def cooperation_metrics(
    returns: np.ndarray,
    agent_teams: Sequence[str],
    stat_keys: Sequence[StatKey],
    agent_stats: np.ndarray,
    game_stats: np.ndarray,
) -> dict[str, float]:
    """``coop/*`` of one episode: ``returns`` [agents], each agent's team name, and the stats
    (``agent_stats`` [agents, stats], ``game_stats`` [stats]) over ``stat_keys``."""
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
    signals: dict[tuple[str, str], float] = {}
    for s, (kind, a, b) in enumerate(stat_keys):
        if kind == "uses_by_agents":
            if b == "1":
                alone = (alone or 0.0) + float(game_stats[s])
            else:
                together = (together or 0.0) + float(game_stats[s])
        elif kind == "shared":
            shared = (shared or 0.0) + float(per_agent[s])
        elif kind == "chest_passed":
            passed = (passed or 0.0) + float(game_stats[s])
        elif kind in ("chest_amount", "chest_regrown"):
            key = "coop/commons_left" if kind == "chest_amount" else "coop/commons_regrown"
            out[key] = out.get(key, 0.0) + float(game_stats[s])
        elif kind == "protocol_uses":
            out[f"coop/{a}/protocol_{b}_uses"] = float(game_stats[s])
        elif kind == "action_success" and a == "change_vibe":
            out["coop/vibe_changes"] = float(per_agent[s])
        elif kind == "signal":
            signals[a, b] = float(game_stats[s])
        elif kind in ("clips", "repairs"):
            out[f"coop/{kind}"] = float(game_stats[s])
        elif kind == "hit":
            has_hits = True
            hits[a == b] += float(per_agent[s])
        elif kind == "steals":
            has_steals = True
            for agent, team in enumerate(agent_teams):
                steals[team == b] += float(agent_stats[agent, s])
    if signals:
        vibes, actions = sorted({v for v, _ in signals}), sorted({a for _, a in signals})
        table = np.array([[signals.get((v, a), 0.0) for a in actions] for v in vibes])
        mi = mutual_information(table)
        if mi is not None:
            out["coop/vibe_action_mi"] = mi
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
