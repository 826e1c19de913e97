"""Short argument errors: one line that names the bad key and the closest valid ones.

jsonargparse reports a bad ``--model.init_args.X`` as a nested "Does not validate against any
of the Union subtypes" tree after a 65-line usage dump. :func:`summarize` reduces such a
message to its innermost concrete reason, rebuilt as the dotted flag the user typed, and adds
the nearest valid names (from the parser's options or the named class's ``__init__``).
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Iterable
from typing import NoReturn

from metta_lit.core.errors import closest

_STRUCTURE = (
    "Does not validate against any of the Union subtypes",
    "Subtypes:",
    "Errors:",
    "Given value",
    "- Expected a <class 'NoneType'>",
    "tip:",
)
_PARSER_KEY = re.compile(r'^(?:error: )?Parser key "([^"]+)":$')
_CLASS_PATH = re.compile(r"^- Problem with given class_path '([^']+)':$")
_NOT_ACCEPTED = re.compile(r"Option '([^']+)' is not accepted")
_GOT_CLASS = re.compile(r"class_path='([^']+)'")
_BAD_PATH = re.compile(r"Expected a path but ([\w.]+) either not accessible or invalid")


def init_arg_names(class_path: str) -> list[str]:
    """Keyword arguments a class takes, through the ``**kwargs`` chain of its metta_lit bases."""
    module, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return []
    names: list[str] = []
    for base in getattr(cls, "__mro__", [cls]):
        if not base.__module__.startswith("metta_lit") or "__init__" not in vars(base):
            continue
        for param in inspect.signature(base.__init__).parameters.values():
            if param.name != "self" and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                names.append(param.name)
    return list(dict.fromkeys(names))


def import_failure(class_path: str) -> str | None:
    """Why ``class_path`` does not import, when it is ours (e.g. a composed module naming an
    unknown loss); jsonargparse only says "not accessible or invalid"."""
    module, _, name = class_path.rpartition(".")
    if not module.startswith("metta_lit"):
        return None
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        return str(e)
    return None


def _hint(flag: str, candidates: Iterable[str]) -> str:
    near = closest(flag, candidates)
    return f" (closest: {', '.join(near)})" if near else ""


def is_jsonargparse_union_error(error: BaseException) -> bool:
    """jsonargparse re-raises an error from a class's ``__init__`` (a bad value we refuse) as a
    plain ValueError listing each Union subtype's failure; :func:`summarize` reads those too."""
    return isinstance(error, ValueError) and str(error).startswith("Does not validate against any of the Union")


def summarize(message: str, options: Iterable[str] = ()) -> str:
    """The one line to lead with for a jsonargparse error ``message``; ``options`` are the
    parser's own flags, for typos in top-level keys."""
    text = message.strip()
    if text.lower().startswith("unrecognized arguments:"):
        flags = [t for t in text.split(":", 1)[1].split() if t.startswith("--")]
        flag = flags[0].split("=", 1)[0] if flags else text
        return f"{flag}: no such option{_hint(flag, options)}"
    path: list[str] = []
    class_path: str | None = None
    for line in text.splitlines():
        line = line.strip()
        if m := _PARSER_KEY.match(line):
            path.append(m[1])
        elif m := _CLASS_PATH.match(line):
            class_path = m[1]
            path.append("init_args")
        elif line and not line.startswith(_STRUCTURE):
            return _reason(line, path, class_path)
    return text.splitlines()[0] if text else "invalid arguments"


def _reason(line: str, path: list[str], class_path: str | None) -> str:
    """Formats the innermost error line found under ``path``."""
    if m := _NOT_ACCEPTED.search(line):
        if got := _GOT_CLASS.search(line):  # the option belongs to a nested class (e.g. the policy)
            class_path = got[1]
            path = [*path, "init_args"]
        flag = "--" + ".".join([*path, m[1]])
        prefix = "--" + ".".join(path)
        valid = [f"{prefix}.{name}" for name in init_arg_names(class_path)] if class_path else []
        return f"{flag}: no such option{_hint(flag, valid)}"
    if (m := _BAD_PATH.search(line)) and (why := import_failure(m[1])):
        line = why
    reason = re.sub(r"<class '([\w.]+)'>", r"\1", line.removeprefix("- "))
    return f"--{'.'.join(path)}: {reason}" if path else reason


class ShortErrors:
    """Mixin for jsonargparse parsers: an argument error is the one line that names the bad
    key (see :func:`summarize`) and a pointer to ``--help``, with no usage dump."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if not self.exit_on_error:
            super().error(message, ex)
        parser = getattr(ex, "subcommand_parser", None) or self
        options = [o for action in parser._actions for o in action.option_strings]
        prog = parser.prog.replace(" [options]", "")
        sys.stderr.write(f"{prog}: error: {summarize(message, options)}\n(run '{prog} --help' for the options)\n")
        sys.exit(2)
