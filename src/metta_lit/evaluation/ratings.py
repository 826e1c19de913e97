"""Many policies, one table: the cross-play matrix, ratings with intervals, value over replacement.

All three read the cross-play episodes of a stats database (``evaluate --splits``), where every
ordered pair of policies played the same seeds:

- **matrix**: the row policy's mean reward per agent when paired with the column policy
  (self-play on the diagonal);
- **rating**: Bradley–Terry, fitted by maximum likelihood with a weak prior. Every cross-play
  episode of two different policies is a meeting that the side with the higher mean reward per
  agent wins (equal: half a win each). Bradley–Terry rather than Elo or TrueSkill because the
  evidence arrives as a batch, not a sequence: a fit of all meetings at once does not depend on
  the order evaluations landed in, and its curvature gives each rating an interval that shrinks
  as meetings accumulate. The N(0, 2²) prior on log-strength keeps a policy that wins every
  meeting (scripted vs random) finite; with a handful of meetings it dominates, with hundreds it
  does not. Ratings are on the Elo scale (400·log10 odds, centred on 1000);
- **value over replacement** (the original's VORP): how much a policy raises its world's mean
  reward per agent compared with a replacement policy playing its agents beside the same
  partner, in the same split, on the same map; the paired differences are averaged with the
  policy's share of the agents as weight (the original's participation weighting).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from metta_lit.core.errors import ConfigError, closest
from metta_lit.evaluation.records import CrossplaySide
from metta_lit.evaluation.statistics import Z95, bootstrap_interval
from metta_lit.evaluation.stats_queries import StatsQueries

Policy = tuple[str, int]
ELO = 400 / math.log(10)  # Elo points per unit of log-strength
PRIOR_SD = 2.0  # log-strength; see the module docstring


@dataclass(frozen=True)
class Rating:
    policy: Policy
    rating: float  # Elo scale
    low: float  # 95% interval
    high: float
    meetings: int
    wins: float  # ties count half


@dataclass(frozen=True)
class ValueOverReplacement:
    policy: Policy
    value: float  # mean reward per agent of the world, this policy minus the replacement
    low: float  # 95% interval (normal, from the paired differences)
    high: float
    pairs: int


def label(policy: Policy) -> str:
    return f"{policy[0]}:v{policy[1]}"


def parse_label(text: str, what: str = "policy") -> Policy:
    """``"random:v0"`` -> ``("random", 0)``: the inverse of :func:`label`; ``what`` names the
    input in the error."""
    key, _, version = text.rpartition(":v")
    if not key or not version.isdigit() or len(text) > 200:
        raise ConfigError(f"{what} {text[:80]!r}: expected 'key:vN', e.g. random:v0")
    return key, int(version)


def crossplay_matrix(sides: list[CrossplaySide]) -> dict[tuple[Policy, Policy], tuple[float, int]]:
    """``(row, column) -> (mean reward per agent of row's agents, agent-episodes)``."""
    totals: dict[tuple[Policy, Policy], list[float]] = defaultdict(lambda: [0.0, 0])
    for side in sides:
        cell = totals[side.policy, side.partner]
        cell[0] += side.reward
        cell[1] += side.agents
    return {pair: (total / n, n) for pair, (total, n) in totals.items() if n}


@dataclass(frozen=True)
class PartnerEffect:
    """What changing a policy's partner from ``instead`` to ``partner`` does to its own agents'
    mean reward, paired map by map (the policy on the same side of the same split)."""

    policy: Policy
    partner: Policy
    instead: Policy
    difference: float
    low: float  # bootstrap 95% interval
    high: float
    maps: int


def partner_effects(sides: list[CrossplaySide], seed: int = 0) -> list[PartnerEffect]:
    """For every policy and every two of its partners, the paired difference of its reward
    beside one and beside the other: in a two-team game, the benefit (or cost) of an opponent;
    in a shared world, of a partner. Only the split's first side is used, so each policy is
    compared in the same position."""
    reward: dict[tuple[Policy, Policy], dict[tuple, float]] = defaultdict(dict)
    for side in sides:
        if side.first:
            reward[side.policy, side.partner][side.simulation, side.split, side.slot] = side.reward / side.agents
    out = []
    policies = sorted({p for p, _ in reward})
    for policy in policies:
        partners = sorted(q for p, q in reward if p == policy)
        for i, partner in enumerate(partners):
            for instead in partners[i + 1 :]:
                a, b = reward[policy, partner], reward[policy, instead]
                maps = sorted(set(a) & set(b))
                if len(maps) < 2:
                    continue
                d = np.array([a[m] - b[m] for m in maps])
                low, high = bootstrap_interval(d, seed)
                out.append(PartnerEffect(policy, partner, instead, float(d.mean()), low, high, len(maps)))
    return out


def meetings(sides: list[CrossplaySide]) -> list[tuple[Policy, Policy, float]]:
    """``(a, b, score of a)`` per cross-play episode of two different policies: 1 when a's agents
    earned more per agent, 0 when less, 0.5 when equal."""
    by_episode: dict[str, list[CrossplaySide]] = defaultdict(list)
    for side in sides:
        if side.policy != side.partner:
            by_episode[side.episode_id].append(side)
    out = []
    for pair in by_episode.values():
        if len(pair) == 2:
            a, b = pair
            mean_a, mean_b = a.reward / a.agents, b.reward / b.agents
            out.append((a.policy, b.policy, 1.0 if mean_a > mean_b else 0.0 if mean_a < mean_b else 0.5))
    return out


def bradley_terry(games: list[tuple[Policy, Policy, float]]) -> list[Rating]:
    """Maximum a posteriori Bradley–Terry ratings with Laplace (curvature) intervals, best first.

    Newton's method by hand: the log-posterior is concave with one parameter per policy, so a
    few Newton steps converge, and the Hessian they use is also what the intervals need (an
    optimizer library would add a dependency and still leave the Hessian to us).
    """
    policies = sorted({p for a, b, _ in games for p in (a, b)})
    if not policies:
        return []
    index = {p: i for i, p in enumerate(policies)}
    n = len(policies)
    wins, played = np.zeros((n, n)), np.zeros((n, n))
    for a, b, score in games:
        i, j = index[a], index[b]
        wins[i, j] += score
        wins[j, i] += 1 - score
        played[i, j] += 1
        played[j, i] += 1
    theta = np.zeros(n)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(theta[:, None] - theta[None, :])))  # p[i, j]: i beats j
        gradient = (wins - played * p).sum(1) - theta / PRIOR_SD**2
        curvature = played * p * (1 - p)
        hessian = curvature - np.diag(curvature.sum(1) + 1 / PRIOR_SD**2)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    # Ratings are relative (only differences are observed): the intervals are those of each
    # strength minus the mean strength, so the common offset the prior alone pins does not widen them.
    centring = np.eye(n) - 1 / n
    sd = np.sqrt(np.clip(np.diag(centring @ np.linalg.inv(-hessian) @ centring), 0, None))
    centre = theta.mean()
    out = [
        Rating(
            policy,
            float(1000 + ELO * (theta[i] - centre)),
            float(1000 + ELO * (theta[i] - centre - Z95 * sd[i])),
            float(1000 + ELO * (theta[i] - centre + Z95 * sd[i])),
            int(played[i].sum()),
            float(wins[i].sum()),
        )
        for i, policy in enumerate(policies)
    ]
    return sorted(out, key=lambda r: -r.rating)


def value_over_replacement(sides: list[CrossplaySide], replacement: Policy) -> list[ValueOverReplacement]:
    """Each policy's value over ``replacement`` (see the module docstring); empty when the
    replacement never played."""
    worlds: dict[str, list[CrossplaySide]] = defaultdict(list)
    for side in sides:
        worlds[side.episode_id].append(side)
    # The world's mean reward per agent, keyed by where it was played and who was beside whom.
    score: dict[tuple, float] = {}
    share: dict[tuple, float] = {}
    for world in worlds.values():
        first = next(s for s in world if s.first)
        total_agents = sum(s.agents for s in world)
        key = (first.simulation, first.split, first.slot, first.partner, first.policy)
        score[key] = sum(s.reward for s in world) / total_agents
        share[key] = first.first_agents / total_agents
    differences: dict[Policy, list[tuple[float, float]]] = defaultdict(list)
    for (sim, split, slot, partner, policy), value in score.items():
        instead = score.get((sim, split, slot, partner, replacement))
        if policy != replacement and instead is not None:
            differences[policy].append((value - instead, share[sim, split, slot, partner, policy]))
    out = []
    for policy, pairs in sorted(differences.items()):
        d, w = np.array(pairs).T
        mean = float((w * d).sum() / w.sum())
        # The weighted mean's standard error (weights fixed by design, differences independent).
        se = float(np.sqrt((w**2 * (d - mean) ** 2).sum()) / w.sum()) if len(d) > 1 else math.inf
        out.append(ValueOverReplacement(policy, mean, mean - Z95 * se, mean + Z95 * se, len(d)))
    return out


@dataclass(frozen=True)
class LeaderboardRow:
    rating: Rating
    vor: ValueOverReplacement | None
    crossplay_reward: float  # mean reward per agent over all its cross-play agent-episodes


DEFAULT_REPLACEMENT: Policy = ("random", 0)


def leaderboard(db: StatsQueries, replacement: Policy | None = None) -> list[LeaderboardRow]:
    """The policies of a database's cross-play, best rating first, with their value over
    ``replacement``. One that is named but played in none of its cross-play episodes is a
    ConfigError naming those that did (every value over it would be missing); the default
    (None: :data:`DEFAULT_REPLACEMENT`) may be absent, leaving the values empty."""
    sides = db.crossplay_sides()
    played = sorted({side.policy for side in sides})
    if replacement is not None and sides and replacement not in played:
        near = closest(label(replacement), [label(p) for p in played])
        hint = f" (closest: {', '.join(near)})" if near else ""
        raise ConfigError(
            f"--replacement {label(replacement)}: no cross-play episode of it{hint}; "
            f"policies there: {', '.join(label(p) for p in played[:20])}"
        )
    vor = {v.policy: v for v in value_over_replacement(sides, replacement or DEFAULT_REPLACEMENT)}
    reward: dict[Policy, list[float]] = defaultdict(lambda: [0.0, 0])
    for side in sides:
        reward[side.policy][0] += side.reward
        reward[side.policy][1] += side.agents
    return [
        LeaderboardRow(r, vor.get(r.policy), reward[r.policy][0] / max(1, reward[r.policy][1]))
        for r in bradley_terry(meetings(sides))
    ]
