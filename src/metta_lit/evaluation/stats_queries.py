"""The questions evaluations are judged by, asked of a stats database (spec 7's views)."""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from fnmatch import fnmatch

import duckdb

from metta_lit.evaluation.records import CrossplaySide, MetricSummary

TABLES = (
    "simulations",
    "episodes",
    "episode_attributes",
    "agent_groups",
    "agent_metrics",
    "episode_metrics",
    "agent_policies",
    "episode_pairings",
)


class StatsQueries:
    """Queries over :meth:`connect` (a read-only connection), for :class:`EvalStatsDB`."""

    def connect(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        raise NotImplementedError

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    def policies(self) -> list[tuple[str, int]]:
        return [
            (k, int(v))
            for k, v in self.query(
                "SELECT DISTINCT policy_key, policy_version FROM policy_simulation_agent_samples ORDER BY 1, 2"
            )
        ]

    def simulations(self) -> list[str]:
        return [
            f"{s}/{n}"
            for s, n in self.query(
                "SELECT DISTINCT sim_name, sim_env FROM policy_simulation_agent_samples ORDER BY 1, 2"
            )
        ]

    def metrics(self, pattern: str = "*") -> list[str]:
        names = [m for (m,) in self.query("SELECT DISTINCT metric FROM agent_metrics ORDER BY 1")]
        return [m for m in names if fnmatch(m, pattern)]

    def _plain(self, alias: str) -> str:
        """A WHERE clause keeping the episodes that were not cross-play (their averages mix
        partners; the cross-play queries below read those). Databases from before cross-play
        have no pairings table and only plain episodes."""
        (tables,) = self.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'episode_pairings'")[
            0
        ]
        if not tables:
            return "TRUE"
        return f"NOT EXISTS (SELECT 1 FROM episode_pairings ep WHERE ep.episode_id = {alias}.episode_id)"

    def metric(self, policy: tuple[str, int], simulation: str, metric: str) -> MetricSummary:
        """Mean/std over the policy's agent-episodes in ``suite/name`` (cross-play episodes
        left out); a missing metric is 0."""
        suite, _, name = simulation.partition("/")
        key, version = policy
        plain = self._plain("p")
        (samples,) = self.query(
            "SELECT count(*) FROM policy_simulation_agent_samples p "
            f"WHERE policy_key = ? AND policy_version = ? AND sim_name = ? AND sim_env = ? AND {plain}",
            [key, version, suite, name],
        )[0]
        total, squares, count = self.query(
            "SELECT coalesce(sum(value), 0), coalesce(sum(value * value), 0), count(*) FROM policy_simulation_agent_metrics p "
            f"WHERE policy_key = ? AND policy_version = ? AND sim_name = ? AND sim_env = ? AND metric = ? AND {plain}",
            [key, version, suite, name, metric],
        )[0]
        if samples == 0:
            return MetricSummary(math.nan, math.nan, 0, 0)
        mean = total / samples
        return MetricSummary(mean, math.sqrt(max(0.0, squares / samples - mean * mean)), int(count), int(samples))

    def episode_means(self, policy: tuple[str, int], simulation: str, metric: str) -> list[float]:
        """Per episode of ``suite/name``: the mean of ``metric`` over the policy's agents (a
        missing metric is 0), in episode-id order; the samples behind :meth:`metric`'s mean."""
        suite, _, name = simulation.partition("/")
        return [
            float(v)
            for _, v in self.query(
                "SELECT p.episode_id, coalesce(sum(m.value), 0) / count(*) FROM policy_simulation_agent_samples p "
                "LEFT JOIN agent_metrics m ON m.episode_id = p.episode_id AND m.agent_id = p.agent_id AND m.metric = ? "
                f"WHERE p.policy_key = ? AND p.policy_version = ? AND p.sim_name = ? AND p.sim_env = ? AND {self._plain('p')} "
                "GROUP BY p.episode_id ORDER BY p.episode_id",
                [metric, policy[0], policy[1], suite, name],
            )
        ]

    def simulation_scores(self, policy: tuple[str, int], metric: str = "reward") -> dict[str, float]:
        summaries = {sim: self.metric(policy, sim, metric) for sim in self.simulations()}
        return {sim: s.mean for sim, s in summaries.items() if s.samples}

    def suite_score(self, policy: tuple[str, int], suite: str, metric: str = "reward") -> float:
        """Average over the suite's simulations of the policy's mean ``metric``."""
        scores = [v for sim, v in self.simulation_scores(policy, metric).items() if sim.split("/")[0] == suite]
        return sum(scores) / len(scores) if scores else math.nan

    def episode_metric_means(
        self, policy: tuple[str, int], simulation: str, pattern: str = "coop/*"
    ) -> dict[str, float]:
        """Means over the episodes a policy was evaluated in (``suite/name``) of the episode
        metrics (per team, per game: ``coop/*``) matching ``pattern``; a metric an episode lacks
        is left out of its mean. Databases written before episode metrics existed have none."""
        suite, _, name = simulation.partition("/")
        key, version = policy
        try:
            rows = self.query(
                "SELECT m.metric, avg(m.value) FROM episode_metrics m JOIN episodes e ON e.id = m.episode_id "
                "JOIN simulations s ON s.id = e.simulation_id "
                "WHERE s.policy_key = ? AND s.policy_version = ? AND s.name = ? AND s.env = ? GROUP BY 1 ORDER BY 1",
                [key, version, suite, name],
            )
        except duckdb.CatalogException:
            return {}
        return {metric: float(mean) for metric, mean in rows if fnmatch(metric, pattern)}

    def crossplay_sides(self) -> list[CrossplaySide]:
        """Each side of each cross-play episode (two per episode; one for self-play, where a
        policy is its own partner), in episode order. Databases from before cross-play have none.

        An episode whose recorded rewards are not all finite (NaN or infinity: no engine writes
        them, an edited or foreign database can) is left out whole: it measures nothing, and one
        such value would make every rating and mean it touches NaN."""
        try:
            rows = self.query(
                "SELECT episode_id, sim_name || '/' || sim_env, split, slot, first_side, policy_key, policy_version, "
                "partner_key, partner_version, side_agents, count(*), sum(reward) FROM crossplay_agents "
                "GROUP BY ALL ORDER BY episode_id, first_side DESC"
            )
        except duckdb.CatalogException:
            return []
        sides = [
            CrossplaySide(e, sim, split, slot, bool(first), (k, int(v)), (pk, int(pv)), int(side), int(n), float(total))
            for e, sim, split, slot, first, k, v, pk, pv, side, n, total in rows
        ]
        unmeasured = {side.episode_id for side in sides if not math.isfinite(side.reward)}
        return [side for side in sides if side.episode_id not in unmeasured]

    def count(self, table: str) -> int:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])
