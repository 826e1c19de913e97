"""What recipe functions return: a configured ``metta-lit`` command.

A tool holds exactly the YAML its command reads with ``--config`` (for ``fit``, the
LightningCLI config of ``configs/*.yaml``; for ``evaluate``/``play``/``replay``/``analyze``,
the arguments of the tool function), so recipes and YAML configs are interchangeable:
``metta-lit run train arena --print_config`` prints a config that ``metta-lit fit --config``
reproduces. ``metta-lit run`` applies ``key=value`` overrides and runs it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from metta_lit.core.errors import ConfigError
from metta_lit.core.files import read_yaml
from metta_lit.recipe_api.overrides import unknown_key


def render(value: Any) -> str:
    """A parsed override value as jsonargparse reads it back (JSON is YAML)."""
    return value if isinstance(value, str) else json.dumps(value)


def init_parameters(cls: type) -> list[str]:
    """Keyword parameters of ``cls`` and every class it inherits ``__init__`` from (loss
    mixins add theirs through ``**kwargs``)."""
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for param in inspect.signature(init).parameters.values():
            named = param.name != "self" and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
            if named and param.name not in names:
                names.append(param.name)
    return names


def import_class(class_path: str) -> type:
    module, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"model.class_path {class_path!r}: cannot import it ({e})") from None


@dataclass
class Tool:
    """A ``metta-lit <command>`` with its ``--config`` content (``config``)."""

    config: dict[str, Any]
    command: ClassVar[str]

    @classmethod
    def from_yaml(cls, path: str | Path) -> Tool:
        """The tool configured by a YAML file (shipped configs are found by name)."""
        from metta_lit.core.packaged import find_config

        found = find_config(path)
        data = read_yaml(found, "tool config")
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping")
        return cls(data)

    def yaml(self) -> str:
        return yaml.safe_dump(self.config, sort_keys=False)

    def apply(self, overrides: dict[str, Any]) -> None:
        """Applies ``key=value`` overrides (already parsed); an unknown key is an error."""
        raise NotImplementedError

    def argv(self) -> list[str]:
        """The ``metta-lit`` arguments that run this tool (config passed inline)."""
        return [self.command, "--config", self.yaml()]

    def describe(self) -> str:
        """The config and the equivalent command, for ``--dry-run``."""
        shown = [self.command, "--config", "<config above>", *self.argv()[3:]]
        return f"{self.yaml()}\n# runs: metta-lit {shlex.join(shown)}"

    def run(self, execute: Callable[[list[str]], None]) -> None:
        """Runs the tool through ``execute``, the ``metta-lit`` command runner (given by the
        CLI, which sits above recipes)."""
        execute(self.argv())


@dataclass
class TrainTool(Tool):
    """``metta-lit fit``. Keys are LightningCLI's (``trainer.max_time``,
    ``model.init_args.lr_schedule``...) plus shorthands: ``run`` and ``data_dir`` (of
    ``checkpoint``); a model argument by its name or under ``model.`` or ``trainer.`` (the
    original's TrainTool kept ``total_timesteps`` and the optimizer under ``trainer``)."""

    command: ClassVar[str] = "fit"
    flags: list[str] = field(default_factory=list)
    ROOTS: ClassVar[set[str]] = {"trainer", "model", "checkpoint", "evaluator", "seed_everything", "ckpt_path"}
    ROOTS_FLAT: ClassVar[set[str]] = {"policy_uri", "replay_dir", "print_config"}
    ALIASES: ClassVar[dict[str, str]] = {"run": "checkpoint.run", "data_dir": "checkpoint.data_dir"}

    def model_parameters(self) -> list[str]:
        class_path = (self.config.get("model") or {}).get("class_path", "metta_lit.train.PPO")
        return init_parameters(import_class(class_path))

    def resolve(self, key: str, model: list[str], trainer: list[str]) -> str:
        """The LightningCLI key an override names, given the model's and the Trainer's parameters."""
        if key in self.ALIASES:
            return self.ALIASES[key]
        head, _, rest = key.partition(".")
        first = rest.split(".", 1)[0]
        if head == "trainer" and first in model and first not in trainer:
            return f"model.init_args.{rest}"
        if head == "model" and rest and first not in ("class_path", "init_args"):
            return f"model.init_args.{rest}"
        if head in self.ROOTS or key in self.ROOTS_FLAT:
            return key
        if head in model:
            return f"model.init_args.{key}"
        valid = [*self.ALIASES, *model, *(f"trainer.{p}" for p in trainer), *self.ROOTS, *self.ROOTS_FLAT]
        raise unknown_key(key, valid, "train")

    def apply(self, overrides: dict[str, Any]) -> None:
        import lightning as L

        model, trainer = self.model_parameters(), init_parameters(L.Trainer)  # once, not per key
        for key, value in overrides.items():
            self.flags += [f"--{self.resolve(key, model, trainer)}", render(value)]

    def argv(self) -> list[str]:
        return [*super().argv(), *self.flags]


@dataclass
class FunctionTool(Tool):
    """A tool function of :mod:`metta_lit.commands` with its arguments (``config``)."""

    def apply(self, overrides: dict[str, Any]) -> None:
        from metta_lit.commands import NOT_ON_THE_COMMAND_LINE, command_function

        parameters = inspect.signature(command_function(self.command)).parameters
        valid = [p for p in parameters if p not in NOT_ON_THE_COMMAND_LINE]
        for key, value in overrides.items():
            if key not in valid:
                raise unknown_key(key, valid, self.command)
            if key in self.config and isinstance(self.config[key], list) and not isinstance(value, list):
                value = [value]  # policy_uris=file://... names one
            self.config[key] = value

    def argv(self) -> list[str]:
        """The command with each argument as a flag, a list as its values (the typed commands
        take ``--policy_uris a b``); not ``--config``, which is the command's own argument
        where it has one (``experiment``'s names the experiment file)."""
        argv = [self.command]
        for key, value in self.config.items():
            values = value if isinstance(value, list) and value else [value]
            argv += [f"--{key}", *(render(v) for v in values)]
        return argv

    def describe(self) -> str:
        return f"{self.yaml()}\n# runs: metta-lit {shlex.join(self.argv())}"

    def run(self, execute: Callable[[list[str]], None]) -> None:
        from metta_lit.commands import command_function, command_parser

        parsed = command_parser(self.command).parse_object(self.config)
        command_function(self.command)(**parsed.as_dict())


class EvaluateTool(FunctionTool):
    command: ClassVar[str] = "evaluate"


class PlayTool(FunctionTool):
    command: ClassVar[str] = "play"


class ReplayTool(FunctionTool):
    command: ClassVar[str] = "replay"


class AnalyzeTool(FunctionTool):
    command: ClassVar[str] = "analyze"


class ExperimentTool(FunctionTool):
    command: ClassVar[str] = "experiment"
