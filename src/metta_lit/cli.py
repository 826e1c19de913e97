"""``metta-lit``: the command-line entry point.

``fit`` and ``validate`` are a LightningCLI (:mod:`metta_lit.trainer_cli`); ``evaluate``,
``analyze``, ``replay`` and ``play`` are the tools in :mod:`metta_lit.tools`. This module
imports nothing heavy at the top, so ``metta-lit --help`` answers at once; bad input of any
command ends in one line naming the problem (``METTA_LIT_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

TOOLS = {
    "evaluate": "run policies on simulation suites, record episodes in DuckDB",
    "analyze": "metric tables and a scorecard heatmap from an evaluation database",
    "replay": "run one episode with a policy and write its replay file",
    "play": "steer an agent in the terminal while a policy (or random) drives the others",
}
TRAINER = {
    "fit": "train a policy (LightningCLI: --config, overrides, --print_config, --ckpt_path)",
    "validate": "evaluation episodes with a checkpoint, a policy URI or 'random' (LightningCLI)",
}


def usage() -> str:
    lines = [f"usage: metta-lit {{{','.join([*TRAINER, *TOOLS])}}} ...", ""]
    lines += [f"  {name:<10} {text}" for name, text in {**TRAINER, **TOOLS}.items()]
    lines += ["", "Run 'metta-lit <command> --help' for the options of a command."]
    return "\n".join(lines)


LIGHTNING_CKPT_NAMES = ("last", "best", "hpc")


def trainer_argv(argv: list[str]) -> list[str]:
    """The arguments LightningCLI gets, after three conveniences of ours:
    - ``--config configs/arena.yaml`` works from any directory (a path that does not exist here
      but names a shipped config becomes that file);
    - ``validate --ckpt_path URI`` with a policy URI or ``random`` means ``--policy_uri URI``;
    - a local ``.ckpt`` is checked before Lightning reads hyperparameters from it, so a file
      that is no checkpoint (or would run code) gets a clear error.
    """
    from metta_lit.shipped import find_config

    out: list[str] = []
    args = [part for arg in argv for part in (arg.split("=", 1) if arg.startswith("--") and "=" in arg else [arg])]
    flag = None
    for arg in args:
        if flag in ("--config", "-c"):
            arg = str(find_config(arg))
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
    if command in TOOLS:
        importlib.import_module(f"metta_lit.tools.{command}").main(argv[1:])
    elif command in TRAINER or (command and command.startswith("-") and command not in ("-h", "--help")):
        from metta_lit.trainer_cli import cli

        args = trainer_argv(argv)
        if argv == sys.argv[1:]:
            sys.argv[1:] = args  # DDP's launcher re-runs sys.argv: its ranks see the same arguments
            cli()
        else:
            cli(args)
    else:
        print(usage())
        if command not in (None, "-h", "--help"):
            sys.exit(f"metta-lit: unknown command {command!r}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point ``metta-lit``."""
    argv = sys.argv[1:] if argv is None else argv
    from pydantic import ValidationError

    from metta_lit.errors import MettaLitError, validation_message

    try:
        run(argv)
    except BrokenPipeError:  # `metta-lit --help | head`: the reader left; nothing to report
        sys.stderr.close()
    except (MettaLitError, ValidationError, FileNotFoundError, IsADirectoryError) as e:
        if os.environ.get("METTA_LIT_DEBUG"):
            raise
        text = validation_message(e, "config") if isinstance(e, ValidationError) else str(e)
        sys.exit(f"metta-lit {argv[0] if argv else ''}: error: {text}")
    except ValueError as e:
        from metta_lit.cli_errors import is_jsonargparse_union_error, summarize

        if not is_jsonargparse_union_error(e) or os.environ.get("METTA_LIT_DEBUG"):
            raise
        sys.exit(f"metta-lit {argv[0]}: error: {summarize(str(e))}")
    except SystemExit as e:
        # Lightning ends a SIGTERM-stopped fit with SystemExit(0); report it as killed by SIGTERM.
        if type(e).__name__ == "SIGTERMException":
            sys.exit(128 + signal.SIGTERM)
        raise


if __name__ == "__main__":
    main()
