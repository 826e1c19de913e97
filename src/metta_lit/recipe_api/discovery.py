"""Finding recipes: every module under :mod:`metta_lit.recipes` (the repository's ``recipes/``).

A recipe's tools are its functions annotated to return a :class:`~metta_lit.recipe_api.tools.Tool`
(or a validation suite), including those it imports from other recipes. A new file is found with no registration; a file that fails to
import is reported by name and the others still list.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from metta_lit.core.errors import ConfigError, closest
from metta_lit.core.text import first_sentence

PACKAGE = "metta_lit.recipes"


@dataclass
class Recipe:
    """One recipe module: its dotted name under ``recipes/`` and its tool makers."""

    name: str  # e.g. "prod.arena"
    doc: str
    tools: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]


def is_tool_maker(function: Any) -> bool:
    from metta_lit.recipe_api.suite import Suite
    from metta_lit.recipe_api.tools import Tool

    if not inspect.isfunction(function) or function.__name__.startswith("_"):
        return False
    try:
        returned = get_type_hints(function).get("return")
    except Exception:  # an annotation that does not resolve is no tool maker
        return False
    return inspect.isclass(returned) and issubclass(returned, (Tool, Suite))


def discover() -> tuple[list[Recipe], dict[str, str]]:
    """All recipes, and the modules that failed to import (name -> the error's last line)."""
    package = importlib.import_module(PACKAGE)
    recipes: list[Recipe] = []
    broken: dict[str, str] = {}
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}.", onerror=lambda name: None):
        name = info.name[len(PACKAGE) + 1 :]
        try:
            module = importlib.import_module(info.name)
        except Exception as e:  # a broken recipe must not hide the others
            broken[name] = traceback.format_exception_only(type(e), e)[-1].strip()
            continue
        if info.ispkg:
            continue
        # A recipe may take tools from another recipe (``from ...prod.arena import evaluate``),
        # but helpers imported from elsewhere are not its tools.
        tools = {
            fname: function
            for fname, function in vars(module).items()
            if is_tool_maker(function) and function.__module__.startswith(f"{PACKAGE}.")
        }
        if tools:
            recipes.append(Recipe(name, first_sentence(module.__doc__), tools))
    return sorted(recipes, key=lambda r: r.name), broken


def find_recipe(name: str, recipes: list[Recipe], broken: dict[str, str]) -> Recipe:
    """A recipe by full (``prod.arena``) or short (``arena``) name."""
    matches = [r for r in recipes if name in (r.name, r.short)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ConfigError(f"recipe {name!r} is ambiguous: {', '.join(r.name for r in matches)}")
    failed = [n for n in broken if name in (n, n.rsplit(".", 1)[-1])]
    if failed:
        raise ConfigError(f"recipe {failed[0]!r} failed to import: {broken[failed[0]]}")
    close = closest(name, [r.short for r in recipes])
    hint = f" (closest: {', '.join(close)})" if close else ""
    raise ConfigError(f"no recipe {name!r}{hint}; `metta-lit run --list` lists them")
