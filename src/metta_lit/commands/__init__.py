"""The typed commands of ``metta-lit`` beside training: evaluate, analyze, replay, play, serve, sweep, map,
verify.

Each is a function ``<name>`` in ``metta_lit.commands.<name>``; its options are built from its
signature and docstring by jsonargparse, so a command is one file. Modules are imported when a
command runs, so ``metta-lit --help`` does not load torch.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any, get_args, get_origin, get_type_hints

from docstring_parser import parse
from jsonargparse import ArgumentParser

from metta_lit.commands.argument_errors import ShortErrors

COMMANDS = (
    "evaluate",
    "analyze",
    "replay",
    "play",
    "serve",
    "sweep",
    "map",
    "verify",
)  # each metta_lit.commands.<name>.<name>, a typed function
NOT_ON_THE_COMMAND_LINE = {"console"}  # tool arguments only Python callers pass


class CommandParser(ShortErrors, ArgumentParser):
    """jsonargparse's parser with one-line argument errors."""


def command_function(name: str) -> Callable[..., Any]:
    return getattr(importlib.import_module(f"metta_lit.commands.{name}"), name)


def command_parser(name: str) -> ArgumentParser:
    """The options of a tool, built from its function's typed signature and docstring.

    A ``list[str]`` argument takes its values space-separated (``--policy_uris A B``), as
    ``nargs="+"``; jsonargparse would otherwise want one ``[A,B]`` value.
    """
    function = command_function(name)
    doc = parse(function.__doc__ or "")
    hints = get_type_hints(function)
    lists = [
        param
        for param in inspect.signature(function).parameters.values()
        if get_origin(hints[param.name]) is list and get_args(hints[param.name]) == (str,)
    ]
    parser = CommandParser(prog=f"metta-lit {name}", description=doc.short_description)
    parser.add_function_arguments(
        function,
        skip={*NOT_ON_THE_COMMAND_LINE, *(p.name for p in lists)},
        as_group=False,
        as_positional=getattr(function, "positional", False),  # `metta-lit map show arena`
    )
    helps = {p.arg_name: p.description for p in doc.params}
    for param in lists:
        required = param.default is inspect.Parameter.empty
        parser.add_argument(
            f"--{param.name}",
            type=str,
            nargs="+",
            required=required,
            default=None if required else list(param.default),
            help=f"{helps.get(param.name, '')} (one or more)",
        )
    return parser
