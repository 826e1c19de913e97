"""Dotted config keys and values as ``metta-lit fit`` command-line words: what sweeps and
experiments pass to each training run they start."""

from __future__ import annotations

import json
from typing import Any


def as_flag_value(value: Any) -> str:
    """A value as one command-line word LightningCLI parses back (JSON for lists and dicts)."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def flags(values: dict[str, Any]) -> list[str]:
    """``{"model.init_args.lr": 0.1}`` -> ``["--model.init_args.lr", "0.1"]``."""
    return [word for key, value in values.items() for word in (f"--{key}", as_flag_value(value))]
