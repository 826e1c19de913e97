"""``key=value`` overrides of ``metta-lit run``: how values parse and how unknown keys fail."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from metta_lit.core.errors import ConfigError, closest

MAX_NUMBER_CHARS = 400  # a float's range ends near 1.8e308: longer digit strings are typos or attacks
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_value(text: str) -> Any:
    """``true``/``false``, ``null``/``none``, numbers (``1e6`` is the int 1000000), JSON lists
    and dicts; anything else stays a string (``file://...``, ``my_run``)."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    if NUMBER.match(text):
        if len(text) > MAX_NUMBER_CHARS:
            raise ConfigError(f"value {text[:20]}...: a number of {len(text):,} characters is out of range")
        number = float(text)
        if not math.isfinite(number):
            raise ConfigError(f"value {text[:20]}: out of the range of a number")
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if number.is_integer() and "e" in lowered and "." not in text and abs(number) < 2**63:
            return int(number)
        return number
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"value {text[:40]!r}: not valid JSON ({e.msg})") from None
        except RecursionError:
            raise ConfigError(f"value {text[:40]!r}...: JSON nested too deeply") from None
    return text


def split_overrides(args: Iterable[str]) -> dict[str, Any]:
    """``["a.b=1", "run=x"]`` -> ``{"a.b": 1, "run": "x"}``; a word without ``=`` is an error."""
    out: dict[str, Any] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {arg!r}: expected key=value")
        out[key] = parse_value(value)
    return out


def unknown_key(key: str, valid: Iterable[str], what: str) -> ConfigError:
    """An error naming ``key`` and the closest of the ``valid`` keys."""
    valid = sorted(set(valid))
    close = closest(key, valid)
    if not close:  # match on the last part: `trainer.total_timestep` -> `...total_timesteps`
        tails = {k.rsplit(".", 1)[-1]: k for k in valid}
        close = [tails[t] for t in difflib.get_close_matches(key.rsplit(".", 1)[-1], list(tails), n=3, cutoff=0.6)]
    hint = f" (closest: {', '.join(close)})" if close else ""
    return ConfigError(f"unknown key {key!r} for {what}{hint}")
