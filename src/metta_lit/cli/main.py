"""``metta-lit``: the command-line entry point.

``fit`` and ``validate`` are a LightningCLI (:mod:`metta_lit.cli.trainer`); ``evaluate``,
``analyze``, ``replay``, ``play``, ``serve`` and ``sweep`` are the typed functions of :mod:`metta_lit.commands`, whose
options jsonargparse builds from their signatures and docstrings. Nothing here (or in a tool
module) imports torch at the top, so ``metta-lit --help`` answers at once; bad input of any
command ends in one line naming the problem (``METTA_LIT_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import os
import re
import signal
import sys
from decimal import Decimal

from jsonargparse import ArgumentParser

from metta_lit.commands import COMMANDS, CommandParser, command_function, command_parser

# LightningCLI builds and parses these itself; here they only need a line in `metta-lit --help`.
TRAINER = {
    "fit": "train a policy (LightningCLI: --config, overrides, --print_config, --ckpt_path)",
    "validate": "evaluation episodes with a checkpoint, a policy URI or 'random' (LightningCLI)",
}
RECIPES = "run a recipe's tool: run [TOOL] RECIPE [key=value ...] [--list] [--dry-run] (recipes/)"


def main_parser(only: str | None = None) -> ArgumentParser:
    """``metta-lit`` and its subcommands: the trainer's (parsed by LightningCLI) and the tools',
    or only the tool ``only`` (a tool's parser imports its module, and the modules of every tool
    cost a second and a half of a start that needs one)."""
    parser = CommandParser(
        prog="metta-lit", description="Multi-agent RL on MettaGrid: train, validate, evaluate, analyze, replay, play."
    )
    commands = parser.add_subcommands(dest="command")
    for name, text in TRAINER.items():
        commands.add_subcommand(name, ArgumentParser(prog=f"metta-lit {name}"), help=text)
    for name in COMMANDS if only is None else (only,):
        tool = command_parser(name)
        commands.add_subcommand(name, tool, help=tool.description)
    commands.add_subcommand("run", ArgumentParser(prog="metta-lit run"), help=RECIPES)
    return parser


LIGHTNING_CKPT_NAMES = ("last", "best", "hpc")


def recipe_based(path: str) -> str | None:
    """The config file ``path`` as inline YAML when it names a recipe as its base
    (``recipe: NAME``), merged over that recipe's config; None for any other file."""
    import yaml

    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except (OSError, yaml.YAMLError):
        return None  # LightningCLI reports the file itself
    if not isinstance(data, dict) or "recipe" not in data:
        return None
    from metta_lit.recipe_api.command import config_on_recipe

    return yaml.safe_dump(config_on_recipe(data), sort_keys=False)


NEGATIVE_EXPONENT = re.compile(r"^-(\d+\.?\d*|\.\d+)[eE][+-]?\d{1,3}$")


def trainer_argv(argv: list[str]) -> list[str]:
    """The arguments LightningCLI gets, after three conveniences of ours:
    - ``--config configs/arena.yaml`` works from any directory (a path that does not exist here
      but names a shipped config becomes that file);
    - ``validate --ckpt_path URI`` with a policy URI or ``random`` means ``--policy_uri URI``;
    - a local ``.ckpt`` is checked before Lightning reads hyperparameters from it, so a file
      that is no checkpoint (or would run code) gets a clear error.
    """
    from metta_lit.core.packaged import find_config

    out: list[str] = []
    args = [part for arg in argv for part in (arg.split("=", 1) if arg.startswith("--") and "=" in arg else [arg])]
    flag = None
    for arg in args:
        if flag in ("--config", "-c") and "\n" not in arg:  # a path, not inline YAML (metta-lit run)
            arg = str(find_config(arg))
            arg = recipe_based(arg) or arg
        elif flag is not None and flag.startswith("-") and NEGATIVE_EXPONENT.match(arg):
            # argparse takes '-1e-05' for an option (its negative-number pattern has no
            # exponent): the same number written out ('-0.00001') reads as a value.
            arg = format(Decimal(arg), "f")
        elif flag == "--ckpt_path":
            if argv[:1] == ["validate"] and not (arg.endswith(".ckpt") or arg in LIGHTNING_CKPT_NAMES):
                out[-1] = "--policy_uri"
            elif arg.endswith(".ckpt") and os.path.isfile(arg):
                from metta_lit.checkpoints.lightning_io import load_training_state

                load_training_state(arg)
        out.append(arg)
        flag = arg
    return out


def run(argv: list[str]) -> None:
    """Runs one command; bad input raises an error the caller reports in one line."""
    command = argv[0] if argv else None
    if command in TRAINER or (command and command.startswith("-") and command not in ("-h", "--help")):
        from metta_lit.cli.trainer import cli

        args = trainer_argv(argv)
        if argv == sys.argv[1:]:
            sys.argv[1:] = args  # DDP's launcher re-runs sys.argv: its ranks see the same arguments
            cli()
        else:
            cli(args)
    elif command == "run":
        from metta_lit.recipe_api.command import run_command

        run_command(argv[1:], execute=run)
    elif command in COMMANDS:
        config = main_parser(only=command).parse_args(argv)
        arguments = config[command].as_dict()
        command_function(command)(**arguments)
    else:
        parser = main_parser()
        if command is None:
            parser.print_help()
        else:
            parser.parse_args(argv)  # --help, or an unknown command named with the valid ones


def causes(error: BaseException) -> list[BaseException]:
    """The exceptions an error was raised from or during, innermost last (cycles cut)."""
    out: list[BaseException] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        out.append(error)
        error = error.__cause__ or error.__context__
    return out


def main(argv: list[str] | None = None) -> None:
    """Console entry point ``metta-lit``."""
    argv = sys.argv[1:] if argv is None else argv
    from pydantic import ValidationError

    from metta_lit.core.errors import MettaLitError, validation_message
    from metta_lit.core.processes import adopt_parent

    adopt_parent()  # a sweep's training run (or extra worker) dies with the process that started it

    try:
        run(argv)
    except BrokenPipeError:  # `metta-lit --help | head`: the reader left; nothing to report
        sys.stderr.close()
    except KeyboardInterrupt:  # Ctrl-C (e.g. ending `serve`): the shell's status for SIGINT, no traceback
        sys.exit(128 + signal.SIGINT)
    except (MettaLitError, ValidationError, FileNotFoundError, IsADirectoryError) as e:
        if os.environ.get("METTA_LIT_DEBUG"):
            raise
        text = validation_message(e, "config") if isinstance(e, ValidationError) else str(e)
        sys.exit(f"metta-lit {argv[0] if argv else ''}: error: {text}")
    except ValueError as e:
        from metta_lit.commands.argument_errors import is_jsonargparse_union_error, summarize

        if not is_jsonargparse_union_error(e) or os.environ.get("METTA_LIT_DEBUG"):
            raise
        # A class the config names refused its arguments (our own ConfigError, e.g. an empty
        # curriculum bucket): jsonargparse wraps it in its Union report; say the reason itself.
        reason = next((c for c in causes(e) if isinstance(c, MettaLitError)), None)
        sys.exit(f"metta-lit {argv[0]}: error: {reason if reason else summarize(str(e))}")
    except SystemExit as e:
        # Lightning ends a SIGTERM-stopped fit with SystemExit(0); report it as killed by SIGTERM.
        if type(e).__name__ == "SIGTERMException":
            sys.exit(128 + signal.SIGTERM)
        raise
