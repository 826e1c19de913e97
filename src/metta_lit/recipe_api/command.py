"""``metta-lit run``: discover, list and run recipe tools with ``key=value`` overrides.

    metta-lit run train arena run=my_exp trainer.total_timesteps=1e6
    metta-lit run arena.train --dry-run              # the same tool, dotted; print, run nothing
    metta-lit run evaluate arena policy_uris=file://./train_dir/my_exp/checkpoints
    metta-lit run --list | metta-lit run train --list | metta-lit run arena --list
    metta-lit run ci | metta-lit run stable --only arena_shaped_curriculum

A key naming a parameter of the recipe function is passed to it (``curriculum=false``);
the others override the tool's config (see :mod:`metta_lit.recipe_api.tools`).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any, get_origin, get_type_hints

from omegaconf import OmegaConf
from rich.console import Console
from rich.table import Table

from metta_lit.core.errors import ConfigError
from metta_lit.core.text import first_sentence
from metta_lit.recipe_api.discovery import Recipe, discover, find_recipe
from metta_lit.recipe_api.overrides import split_overrides
from metta_lit.recipe_api.suite import Suite
from metta_lit.recipe_api.tools import Tool, TrainTool

USAGE = "usage: metta-lit run [TOOL] RECIPE [key=value ...] [--list] [--dry-run] [--print_config] [--only JOB]"


def parse_flags(argv: list[str]) -> tuple[list[str], list[str], set[str], list[str]]:
    """-> positional words, key=value overrides, switches, ``--only`` job names."""
    positional, overrides, switches, only = [], [], set(), []
    args = iter(argv)
    for arg in args:
        if arg == "--only":
            only.append(next(args, ""))
        elif arg.startswith("--only="):
            only.append(arg.split("=", 1)[1])
        elif arg in ("--list", "--dry-run", "--print_config", "-h", "--help"):
            switches.add(arg)
        elif arg.startswith("-"):
            raise ConfigError(f"unknown option {arg!r}; {USAGE}")
        elif "=" in arg:
            overrides.append(arg)
        else:
            positional.append(arg)
    return positional, overrides, switches, only


def resolve(positional: list[str], recipes: list[Recipe], broken: dict[str, str]) -> tuple[Recipe, str]:
    """(recipe, tool name) from ``TOOL RECIPE``, ``RECIPE TOOL``, ``RECIPE.TOOL`` or a tool
    only one recipe provides (``ci``)."""
    if len(positional) == 2:
        first, second = positional
        tools = {t for r in recipes for t in r.tools}
        tool, name = (first, second) if first in tools else (second, first)
        recipe = find_recipe(name, recipes, broken)
    elif len(positional) == 1:
        word = positional[0]
        providers = [r for r in recipes if word in r.tools]
        if "." in word and word.rsplit(".", 1)[1] not in {r.short for r in recipes}:
            name, tool = word.rsplit(".", 1)
            recipe = find_recipe(name, recipes, broken)
        elif len(providers) == 1:
            return providers[0], word
        else:
            recipe = find_recipe(word, recipes, broken)
            raise ConfigError(f"recipe {recipe.name!r}: name a tool ({', '.join(recipe.tools)})")
    else:
        raise ConfigError(USAGE)
    if tool not in recipe.tools:
        raise ConfigError(f"recipe {recipe.name!r} has no tool {tool!r} (tools: {', '.join(recipe.tools)})")
    return recipe, tool


def list_recipes(positional: list[str], recipes: list[Recipe], broken: dict[str, str], console: Console) -> None:
    """``--list``: every recipe, the recipes providing a tool, or one recipe's tools."""
    word = positional[0] if positional else None
    if word is not None and any(word in (r.name, r.short) for r in recipes):
        recipe = find_recipe(word, recipes, broken)
        table = Table(title=f"tools of recipe {recipe.name}")
        table.add_column("tool", no_wrap=True)
        table.add_column("parameters")
        table.add_column("what it does")
        for name, maker in recipe.tools.items():
            params = ", ".join(str(p) for p in inspect.signature(maker, eval_str=True).parameters.values())
            table.add_row(name, params, first_sentence(maker.__doc__))
        console.print(table)
        return
    shown = [r for r in recipes if word is None or word in r.tools]
    if word is not None and not shown:
        raise ConfigError(f"no recipe or tool named {word!r}; `metta-lit run --list` lists them")
    table = Table(title="recipes" if word is None else f"recipes with {word}")
    table.add_column("recipe", no_wrap=True)
    table.add_column("tools")
    table.add_column("what it is")
    for recipe in shown:
        table.add_row(recipe.name, ", ".join(recipe.tools), recipe.doc)
    console.print(table)
    for name, error in broken.items():
        console.print(f"[red]recipe {name} failed to import[/]: {error}")


def make_tool(recipe: Recipe, tool: str, overrides: dict[str, Any]) -> Tool | Suite:
    """Calls the tool maker with the overrides that name its parameters; applies the rest."""
    maker = recipe.tools[tool]
    params = inspect.signature(maker).parameters
    hints = get_type_hints(maker)
    arguments = {k: v for k, v in overrides.items() if k in params}
    for key, value in arguments.items():
        if get_origin(hints.get(key)) is list and not isinstance(value, list):
            arguments[key] = [value]  # policy_uris=file://... names one
    made = maker(**arguments)
    rest = {k: v for k, v in overrides.items() if k not in params}
    if isinstance(made, Suite):
        for key, value in rest.items():
            if key not in ("json", "log_dir"):
                raise ConfigError(
                    f"unknown key {key!r} for the {made.name} suite (keys: json, log_dir, {', '.join(params)})"
                )
            setattr(made, key, value)
    else:
        made.apply(rest)
    return made


def config_on_recipe(data: dict[str, Any]) -> dict[str, Any]:
    """A YAML config naming a recipe as its base (``recipe: arena_basic_easy_shaped``, or
    ``recipe: RECIPE.TOOL``, with ``recipe_args: {curriculum: false}`` for its function):
    that tool's config with the file's other keys merged over it."""
    spec, arguments = data["recipe"], data.get("recipe_args") or {}
    if not isinstance(spec, str) or not isinstance(arguments, dict):
        raise ConfigError("recipe: expected a recipe name and recipe_args a mapping")
    recipes, broken = discover()
    head, _, last = spec.rpartition(".")
    named_tool = head and any(last in r.tools for r in recipes)
    recipe, tool_name = resolve([spec] if named_tool else ["train", spec], recipes, broken)
    tool = make_tool(recipe, tool_name, arguments)
    if not isinstance(tool, Tool):
        raise ConfigError(f"recipe: {spec!r} is a validation suite, not a config")
    rest = {k: v for k, v in data.items() if k not in ("recipe", "recipe_args")}
    # Mappings merge recursively, other values replace (``${...}`` stays text: never resolved).
    return OmegaConf.to_container(OmegaConf.merge(tool.config, rest), resolve=False)


def run_command(argv: list[str], execute: Callable[[list[str]], None], console: Console | None = None) -> None:
    """``metta-lit run ...``; ``execute`` runs one ``metta-lit`` command line (the CLI's runner)."""
    console = console or Console()
    positional, override_args, switches, only = parse_flags(argv)
    if switches & {"-h", "--help"}:
        console.print(__doc__)
        return
    recipes, broken = discover()
    if "--list" in switches:
        list_recipes(positional, recipes, broken, console)
        return
    recipe, tool_name = resolve(positional, recipes, broken)
    tool = make_tool(recipe, tool_name, split_overrides(override_args))
    if isinstance(tool, Suite):
        if only:
            tool.select(only)
        if "--dry-run" in switches:
            for job in tool.jobs:
                console.print(
                    f"{job.name} ({job.budget or 'smoke'}, timeout {job.timeout_s:.0f} s): metta-lit {' '.join(job.args)}"
                )
            return
        if not tool.run(console):
            sys.exit(1)
        return
    if only:
        raise ConfigError("--only selects jobs of a validation suite")
    if "--dry-run" in switches:
        print(f"# {recipe.name}.{tool_name}\n{tool.describe()}")
        return
    if "--print_config" in switches:
        if isinstance(tool, TrainTool):
            tool.flags.append("--print_config")  # LightningCLI prints the merged config and exits
        else:
            print(tool.yaml(), end="")
            return
    tool.run(execute)
