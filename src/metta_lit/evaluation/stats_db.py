"""Episode statistics in DuckDB (spec 7): the schema, and writers that never lose or double rows.

DuckDB lets one process write a database file at a time, so every writer first fills a
private shard (``<db>.<pid>-<uuid>.shard`` beside it, removed once merged or failed, or by
the next writer when its process was killed) and then merges
it into the main file while holding an exclusive file lock on ``<db>.lock``; inserts are
idempotent (primary keys), so a merge interrupted after its commit loses and doubles nothing.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import stat
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, fields
from datetime import datetime

import duckdb
import numpy as np
from filelock import FileLock

from metta_lit.core.errors import MettaLitError
from metta_lit.evaluation.records import Pairing, SimulationRecord
from metta_lit.evaluation.stats_queries import TABLES, StatsQueries

SCHEMA = """
CREATE TABLE IF NOT EXISTS episodes (
    id TEXT PRIMARY KEY, step_count INTEGER, created_at TIMESTAMP,
    completed_at TIMESTAMP DEFAULT current_timestamp, simulation_id TEXT, replay_url TEXT);
CREATE TABLE IF NOT EXISTS episode_attributes (
    episode_id TEXT, attribute TEXT, value TEXT, PRIMARY KEY (episode_id, attribute));
CREATE TABLE IF NOT EXISTS agent_groups (
    episode_id TEXT, group_id INTEGER, agent_id INTEGER, PRIMARY KEY (episode_id, group_id, agent_id));
CREATE TABLE IF NOT EXISTS agent_metrics (
    episode_id TEXT, agent_id INTEGER, metric TEXT, value REAL, PRIMARY KEY (episode_id, agent_id, metric));
CREATE TABLE IF NOT EXISTS episode_metrics (
    episode_id TEXT, metric TEXT, value REAL, PRIMARY KEY (episode_id, metric));
CREATE TABLE IF NOT EXISTS simulations (
    id TEXT PRIMARY KEY, name TEXT, env TEXT, policy_key TEXT, policy_version INTEGER,
    created_at TIMESTAMP, finished_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS agent_policies (
    episode_id TEXT, agent_id INTEGER, policy_key TEXT, policy_version INTEGER, PRIMARY KEY (episode_id, agent_id));
CREATE TABLE IF NOT EXISTS episode_pairings (
    episode_id TEXT PRIMARY KEY, split TEXT, policy_key TEXT, policy_version INTEGER, agents INTEGER,
    partner_key TEXT, partner_version INTEGER);
CREATE VIEW IF NOT EXISTS policy_simulation_agent_samples AS
    SELECT ap.policy_key, ap.policy_version, s.name AS sim_name, s.env AS sim_env, ap.episode_id, ap.agent_id
    FROM agent_policies ap JOIN episodes e ON e.id = ap.episode_id JOIN simulations s ON s.id = e.simulation_id;
CREATE VIEW IF NOT EXISTS policy_simulation_agent_metrics AS
    SELECT p.policy_key, p.policy_version, p.sim_name, p.sim_env, p.episode_id, p.agent_id, m.metric, m.value
    FROM policy_simulation_agent_samples p
    JOIN agent_metrics m ON m.episode_id = p.episode_id AND m.agent_id = p.agent_id;
CREATE VIEW IF NOT EXISTS crossplay_agents AS
    SELECT p.episode_id, ap.agent_id, p.split, s.name AS sim_name, s.env AS sim_env,
        ap.policy_key, ap.policy_version, ap.agent_id < p.agents AS first_side, p.agents AS side_agents,
        CASE WHEN ap.agent_id < p.agents THEN p.partner_key ELSE p.policy_key END AS partner_key,
        CASE WHEN ap.agent_id < p.agents THEN p.partner_version ELSE p.policy_version END AS partner_version,
        coalesce(m.value, 0) AS reward, seed.value || '/' || slot.value AS slot
    FROM episode_pairings p JOIN agent_policies ap ON ap.episode_id = p.episode_id
    JOIN episodes e ON e.id = p.episode_id JOIN simulations s ON s.id = e.simulation_id
    LEFT JOIN agent_metrics m ON m.episode_id = ap.episode_id AND m.agent_id = ap.agent_id AND m.metric = 'reward'
    LEFT JOIN episode_attributes seed ON seed.episode_id = p.episode_id AND seed.attribute = 'seed'
    LEFT JOIN episode_attributes slot ON slot.episode_id = p.episode_id AND slot.attribute = 'slot';
"""


def _locked(db_path: str) -> FileLock:
    """The writers' lock of a database (an OS file lock: released if its holder dies)."""
    return FileLock(db_path + ".lock")


def _reading(db_path: str) -> contextlib.AbstractContextManager:
    """The lock a reader takes: the writers' lock, except in a folder no one can write, where
    no writer can exist (each writes a shard beside the database first) and the lock file
    could not be created either."""
    return contextlib.nullcontext() if _read_only(os.path.dirname(db_path)) else _locked(db_path)


@functools.cache
def _our_columns() -> dict[str, list[str]]:
    """Table or view -> its columns, as :data:`SCHEMA` creates them."""
    with duckdb.connect(":memory:") as con:
        con.execute(SCHEMA)
        return _columns(con)


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
        "WHERE table_schema = 'main' GROUP BY 1"
    ).fetchall()
    return dict(rows)


def _insert(con: duckdb.DuckDBPyConnection, table: str, names: tuple[str, ...], rows: list[tuple]) -> None:
    """``INSERT OR IGNORE`` of ``rows`` as whole columns: DuckDB scans a dict of numpy arrays
    in one statement, where ``executemany`` runs one statement per row (10,000 metric rows:
    26 s vs 0.07 s measured; an arena episode has ~1,000)."""
    if not rows:
        return
    arrays = {name: np.asarray([row[i] for row in rows], dtype=object) for i, name in enumerate(names)}
    view = f"batch_{table}"
    con.register(view, arrays)
    try:
        con.execute(f"INSERT OR IGNORE INTO {table} SELECT {', '.join(names)} FROM {view}")
    finally:
        con.unregister(view)


def _write(con: duckdb.DuckDBPyConnection, sims: list[SimulationRecord]) -> None:
    episodes = [e for s in sims for e in s.episodes]
    now = datetime.now()
    _insert(
        con,
        "simulations",
        ("id", "name", "env", "policy_key", "policy_version", "created_at", "finished_at"),
        [(s.id, s.suite, s.name, s.policy_key, s.policy_version, s.created_at, s.finished_at) for s in sims],
    )
    _insert(
        con,
        "episodes",
        ("id", "step_count", "created_at", "completed_at", "simulation_id", "replay_url"),
        [(e.id, e.step_count, e.created_at, now, e.simulation_id, e.replay_url) for e in episodes],
    )
    attributes = [(e.id, k, v) for e in episodes for k, v in e.attributes.items()]
    _insert(con, "episode_attributes", ("episode_id", "attribute", "value"), attributes)
    groups = [(e.id, g, a) for e in episodes for a, g in enumerate(e.agent_groups)]
    _insert(con, "agent_groups", ("episode_id", "group_id", "agent_id"), groups)
    metrics = [(e.id, a, m, float(v)) for e in episodes for a, ms in enumerate(e.agent_metrics) for m, v in ms.items()]
    _insert(con, "agent_metrics", ("episode_id", "agent_id", "metric", "value"), metrics)
    whole = [(e.id, m, float(v)) for e in episodes for m, v in e.episode_metrics.items()]
    _insert(con, "episode_metrics", ("episode_id", "metric", "value"), whole)
    pairings = [(e.id, *astuple(e.pairing)) for e in episodes if e.pairing is not None]
    _insert(con, "episode_pairings", ("episode_id", *(f.name for f in fields(Pairing))), pairings)
    policies = [(e.id, a, k, v) for e in episodes for a, (k, v) in enumerate(e.agent_policies)]
    _insert(con, "agent_policies", ("episode_id", "agent_id", "policy_key", "policy_version"), policies)


class StatsDBError(MettaLitError):
    """A stats database path that cannot be used (not DuckDB, a directory, read-only...)."""


def _read_only(path: str) -> bool:
    # Root passes os.access on any mode, so a file or folder without write bits counts as
    # read-only too: the user marked it so.
    return not os.access(path, os.W_OK) or not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


class EvalStatsDB(StatsQueries):
    """A DuckDB file of evaluation episodes, and the aggregates analyses use."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)

    def check_writable(self) -> None:
        """Refuses a path that is a directory, not a DuckDB file, or read-only; creates a new
        database with its schema. Evaluations call this before running any episode."""
        self._check_path()
        self.remove_dead_shards()
        with self._open_for_writing():
            pass

    def remove_dead_shards(self) -> list[str]:
        """Deletes the shards (``<db>.<pid>-<uuid>.shard[.wal]``) of writers on this machine
        whose process is gone: a writer killed mid-write leaves its shard behind."""
        removed: list[str] = []
        if not sys.platform.startswith("linux"):  # liveness is read from /proc
            return removed
        for shard in glob.glob(f"{glob.escape(self.path)}.*.shard*"):
            pid = shard[len(self.path) + 1 :].split("-", 1)[0]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(shard)
                    removed.append(shard)
        return removed

    def check_readable(self) -> None:
        """Refuses a path that is a directory or an existing file that is not DuckDB (a missing
        one is fine: it appears when the first evaluation writes it). ``serve`` calls this at
        start rather than failing on its first scorecard request."""
        if os.path.exists(self.path):
            self.query("SELECT 1")

    def _check_path(self) -> None:
        """The checks that need no database connection: a file path in a writable folder."""
        directory = os.path.dirname(self.path)
        if os.path.isdir(self.path):
            raise StatsDBError(f"stats database {self.path}: is a directory")
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise StatsDBError(f"stats database {self.path}: {directory} is not a directory")
        os.makedirs(directory, exist_ok=True)
        if _read_only(directory) or (os.path.exists(self.path) and _read_only(self.path)):
            raise StatsDBError(f"stats database {self.path}: read-only (it and its folder must be writable)")

    def _check_ours(self) -> None:
        """Refuses, without writing to it, a DuckDB file holding tables that ours are not (or
        ours with other columns): adding our schema beside someone else's data would change
        their file and then fail on the first insert into a table of the same name."""
        if not os.path.exists(self.path):
            return
        try:
            with duckdb.connect(self.path, read_only=True) as con:
                found = _columns(con)
        except duckdb.Error as e:
            raise StatsDBError(f"stats database {self.path}: not a usable DuckDB file ({e})") from None
        ours = _our_columns()
        foreign = sorted(name for name, columns in found.items() if ours.get(name) != columns)
        if foreign:
            shown = ", ".join(foreign[:8]) + (", ..." if len(foreign) > 8 else "")
            raise StatsDBError(
                f"stats database {self.path}: a DuckDB file of something else (its tables {shown} are not "
                "metta-lit's); give a new file or a metta-lit stats database"
            )

    @contextmanager
    def _open_for_writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The main database under the writers' lock, with its schema (created if new)."""
        with _locked(self.path):
            self._check_ours()
            try:
                con = duckdb.connect(self.path)
            except duckdb.Error as e:
                raise StatsDBError(f"stats database {self.path}: not a usable DuckDB file ({e})") from None
            with con:
                con.execute(SCHEMA)
                yield con

    def write(self, sims: list[SimulationRecord]) -> None:
        """Adds simulations and their episodes; safe with other processes writing too."""
        self._check_path()
        shard = f"{self.path}.{os.getpid()}-{uuid.uuid4().hex}.shard"
        try:
            with duckdb.connect(shard) as con:
                con.execute(SCHEMA)
                _write(con, sims)
            self._merge(shard)
        finally:
            for leftover in (shard, shard + ".wal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(leftover)

    def _merge(self, shard: str) -> None:
        with self._open_for_writing() as con:
            con.execute("ATTACH ? AS shard (READ_ONLY)", [shard])
            con.execute("BEGIN TRANSACTION")
            for table in TABLES:
                con.execute(f"INSERT OR IGNORE INTO main.{table} SELECT * FROM shard.{table}")
            con.execute("COMMIT")
            con.execute("DETACH shard")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{self.path}: no such stats database")
        if os.path.isdir(self.path):
            raise StatsDBError(f"stats database {self.path}: is a directory")
        with _reading(self.path):
            try:
                con = duckdb.connect(self.path, read_only=True)
            except duckdb.Error as e:
                raise StatsDBError(f"stats database {self.path}: not a usable DuckDB file ({e})") from None
            with con:
                yield con
