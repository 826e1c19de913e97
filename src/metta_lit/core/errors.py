"""Errors that mean "your input is wrong", and the wording they share.

Every user-facing entry point (``metta-lit`` subcommands, config loading, policy files,
replays, stats databases) raises a :class:`MettaLitError` subclass for bad input, so the CLI
can print the one line that names the problem instead of a traceback.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any


class MettaLitError(ValueError):
    """Bad input: the message names the file, field or argument and what is wrong with it."""


class ConfigError(MettaLitError):
    """A configuration value (env config, override, CLI argument) that cannot be used."""


def check_positive_int(value: Any, where: str) -> int:
    """``value`` as an int if it is an integer >= 1 (bools are not counts), else a ConfigError."""
    if isinstance(value, bool) or not hasattr(value, "__index__") or value < 1:
        raise ConfigError(f"{where}: must be an integer >= 1, got {value!r}")
    return int(value)


def check_range(value: Any, where: str, low: float = 0.0, high: float = math.inf) -> float:
    """``value`` as a float if it is a finite number in [low, high], else a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: must be a finite number, got {value!r}")
    if not low <= value <= high:
        bounds = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ConfigError(f"{where}: must be {bounds}, got {value!r}")
    return float(value)


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The valid names nearest to a misspelt one (difflib's ratio, best first)."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)


def unknown_key_message(where: str, path: list[str], data: dict[str, Any]) -> str:
    """``where: no field 'a.b.typo' (closest: a.b.type)`` for a dotted path into nested dicts."""
    node: Any = data
    kept = []
    for key in path:  # pydantic names a tagged union's variant in the path: not a key of the data
        if isinstance(node, dict) and key not in node and node.get("type") == key:
            continue
        kept.append(key)
        node = node.get(key) if isinstance(node, dict) else None
    path, node = kept, data
    for depth, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            prefix = ".".join(path[:depth])
            keys = list(node) if isinstance(node, dict) else []
            near = [f"{prefix}.{k}" if prefix else k for k in closest(key, keys)]
            hint = f" (closest: {', '.join(near)})" if near else ""
            return f"{where}: no field {'.'.join(path[: depth + 1])!r}{hint}"
        node = node[key]
    return f"{where}: no field {'.'.join(path)!r}"


def validation_message(error: Any, where: str, known: dict[str, Any] | None = None) -> str:
    """One line per pydantic error, ``where: game.max_stpes: no such field (closest: game.max_steps)``.

    ``known`` (the valid config as a dict) supplies the closest valid keys for unknown fields.
    """
    lines = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"]]
        if item["type"] == "extra_forbidden" and known is not None:
            lines.append(unknown_key_message(where, loc, known))
        else:
            message = item["msg"].removeprefix("Value error, ")  # our validators' own wording
            lines.append(f"{where}: {'.'.join(loc)}: {message}" if loc else f"{where}: {message}")
    return "\n".join(lines)
