"""Simulations: a named env (``suite/name``), an episode count, and optional NPC agents.

Suites live in ``configs/sims/<suite>.yaml``; ``arena`` selects every simulation of that
suite and ``arena/basic`` one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from metta_lit.core.errors import ConfigError, closest, validation_message
from metta_lit.core.files import read_yaml
from metta_lit.core.packaged import CONFIG_DIR
from metta_lit.env import MettaGridConfig, env_config

T, S = TypeVar("T"), TypeVar("S")  # a policy (handle or URI) and a split (parsed or named)


class SimulationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str
    name: str
    env: str = Field(description="env config name (configs/env) or YAML path")
    env_overrides: dict[str, Any] = {}
    num_episodes: int = Field(default=4, ge=1)
    max_time_s: float = Field(default=600.0, gt=0)
    npc_policy_uri: str | None = Field(default=None, description="policy URI, or 'random'")
    policy_agents_pct: float = Field(default=1.0, ge=0.0, le=1.0)

    @property
    def full_name(self) -> str:
        return f"{self.suite}/{self.name}"

    def env_config(self) -> MettaGridConfig:
        """The env it plays: exactly its agents (a group size set by its overrides plays in an
        env of that many, not in the slots a training env keeps for larger groups)."""
        return env_config(self.env).with_overrides({**self.env_overrides, "game.max_agents": None})


def suite_path(suite: str) -> Path:
    return CONFIG_DIR / "sims" / f"{suite}.yaml"


def load_simulations(specs: list[str]) -> list[SimulationConfig]:
    """``["arena", "navigation/default"]`` -> the simulations they name, in order.

    A spec is a shipped suite (``configs/sims/<suite>.yaml``) or a simulations YAML file of
    the user's own (``my_sims.yaml``: its stem is the suite's name), each optionally followed by
    ``/name`` for one of its simulations. A name that matches nothing is a ConfigError naming
    the closest valid ones.
    """
    out: list[SimulationConfig] = []
    for spec in specs:
        path, suite, name = _suite_of(spec)
        data = read_yaml(path, "simulation suite") or {}
        entries = data.get("simulations") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise ConfigError(f"{path}: expected 'simulations:' with a list of simulations (name, env, ...)")
        try:
            sims = [SimulationConfig.model_validate({**entry, "suite": suite}) for entry in entries]
        except ValidationError as e:
            raise ConfigError(validation_message(e, str(path))) from None
        chosen = [s for s in sims if not name or s.name == name]
        if not chosen:
            names = [f"{suite}/{s.name}" for s in sims]
            near = closest(f"{suite}/{name}", names)
            hint = f"closest: {', '.join(near)}; " if near else ""
            raise ConfigError(f"suite {suite!r} has no simulation {name!r} ({hint}has: {', '.join(names)})")
        out.extend(chosen)
    return out


def _suite_of(spec: str) -> tuple[Path, str, str]:
    """(file, suite name, simulation name or '') of a spec: ``suite[/name]`` or ``file.yaml[/name]``."""
    for suffix in (".yaml", ".yml"):
        head, found, name = spec.partition(suffix + "/")
        if spec.endswith(suffix) or found:
            path = Path(head + suffix if found else spec)
            if not path.is_file():
                raise ConfigError(f"simulations file {path}: no such file")
            return path, path.stem, name
    suite, _, name = spec.partition("/")
    path = suite_path(suite)
    if not path.exists():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        near = closest(suite, known)
        hint = f"closest: {', '.join(near)}; " if near else ""
        raise ConfigError(
            f"unknown simulation suite {suite!r} ({hint}suites: {', '.join(known)}; or a simulations YAML file)"
        )
    return path, suite, name


def plays(policies: list[T], splits: list[S]) -> list[tuple[T, T | None, S | None]]:
    """What an evaluation plays: each policy alone, or with ``splits`` every ordered pair of
    policies (self-play included) in every split, as (policy, partner, split)."""
    if not splits:
        return [(policy, None, None) for policy in policies]
    return [(row, col, split) for split in splits for row in policies for col in policies]


@dataclass(frozen=True)
class Split:
    """How two policies share a world's agents in cross-play: ``1v3`` gives the first a quarter
    of the agents (the first ones) and its partner the rest, in any env size."""

    name: str
    share: int
    partner_share: int

    @classmethod
    def parse(cls, text: str) -> Split:
        match = re.fullmatch(r"(\d+)v(\d+)", text)
        if not match or min(int(match[1]), int(match[2])) < 1:
            raise ConfigError(f"split {text!r}: expected NvM with N, M >= 1, e.g. 1v3 or 2v2")
        return cls(text, int(match[1]), int(match[2]))

    def counts(self, agents: int, where: str = "") -> tuple[int, int]:
        """The two policies' agent counts in an env of ``agents`` agents: ``NvM`` is a ratio
        (``1v3`` of 24 agents plays 6 beside 18), and must divide the agents exactly, so that
        what a cross-play episode records as its split is what it played."""
        parts = self.share + self.partner_share
        if agents % parts:
            raise ConfigError(
                f"{where}: split {self.name} cannot divide {agents} agents as written "
                f"(it needs a multiple of {parts} agents)"
            )
        first = agents * self.share // parts
        return first, agents - first
