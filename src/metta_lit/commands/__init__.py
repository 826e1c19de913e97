"""The typed commands of ``metta-lit`` beside training: evaluate, analyze, replay, play, serve, sweep, map,
verify, compare.

Each is a function ``<name>`` in ``metta_lit.commands.<name>``; its options are built from its
signature and docstring by jsonargparse, so a command is one file. Modules are imported when a
command runs, so ``metta-lit --help`` does not load torch.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any, get_args, get_origin, get_type_hints

from docstring_parser import parse
from jsonargparse import ArgumentParser
from rich.console import Console

from metta_lit.commands.argument_errors import ShortErrors
from metta_lit.core.text import first_sentence

COMMANDS = (
    "evaluate",
    "analyze",
    "replay",
    "play",
    "serve",
    "sweep",
    "map",
    "verify",
    "compare",
    "experiment",
)  # each metta_lit.commands.<name>.<name>, a typed function
NOT_ON_THE_COMMAND_LINE = {"console"}  # tool arguments only Python callers pass


def wide_console() -> Console:
    """The console a command prints tables to: the terminal's width, or 160 columns when the
    output is a pipe or a log (rich's 80 would fold a table's rows)."""
    return Console(width=None if sys.stdout.isatty() else 160)


class CommandParser(ShortErrors, ArgumentParser):
    """jsonargparse's parser with one-line argument errors."""


def command_function(name: str) -> Callable[..., Any]:
    return getattr(importlib.import_module(f"metta_lit.commands.{name}"), name)


def command_parser(name: str) -> ArgumentParser:
    """The options of a tool, built from its function's typed signature and docstring.

    A ``list[str]`` argument takes its values space-separated (``--policy_uris A B``), as
    ``nargs="+"``; jsonargparse would otherwise want one ``[A,B]`` value. A ``bool`` one is
    also a bare flag (``--open`` means ``--open true``).
    """
    function = command_function(name)
    doc = parse(function.__doc__ or "")
    hints = get_type_hints(function)
    params = inspect.signature(function).parameters.values()
    lists = [p for p in params if get_origin(hints[p.name]) is list and get_args(hints[p.name]) == (str,)]
    flags = [p for p in params if hints[p.name] is bool and p.name not in NOT_ON_THE_COMMAND_LINE]
    parser = CommandParser(prog=f"metta-lit {name}", description=first_sentence(function.__doc__))
    parser.add_function_arguments(
        function,
        skip={*NOT_ON_THE_COMMAND_LINE, *(p.name for p in lists + flags)},
        as_group=False,
        as_positional=getattr(function, "positional", False),  # `metta-lit map show arena`
    )
    helps = {p.arg_name: p.description for p in doc.params}
    aliases = getattr(function, "aliases", {})  # an option's older spelling, kept working
    for param in lists:
        required = param.default is inspect.Parameter.empty
        parser.add_argument(
            f"--{param.name}",
            *aliases.get(param.name, ()),
            type=str,
            nargs="+",
            required=required,
            default=None if required else list(param.default),
            help=f"{helps.get(param.name, '')} (one or more)",
        )
    for param in flags:
        parser.add_argument(
            f"--{param.name}",
            type=bool,
            nargs="?",
            const=True,
            default=param.default,
            help=f"{helps.get(param.name, '')} (a bare --{param.name} means true)",
        )
    return parser
