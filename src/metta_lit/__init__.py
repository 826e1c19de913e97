"""metta-lit: multi-agent RL on a native MettaGrid environment (Lightning + TorchRL)."""

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

__version__ = "0.1.0"

# Module paths that configs and checkpoints written before the 2026-12 layout name, and the
# module now serving them (``metta_lit.module.PPOModule`` is ``metta_lit.train.PPO``).
MOVED_MODULES = {"metta_lit.module": "metta_lit.train", "metta_lit.modules": "metta_lit.train"}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old path as the module that replaced it. Written by hand because Python has
    no declarative module alias; an import hook keeps the old names out of the package tree and
    imports nothing heavy until an old path is actually used."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(name, self) if name in MOVED_MODULES else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED_MODULES[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """The module it returned is already executed."""


if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())
