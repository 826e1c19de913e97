"""Training modules composed from loss mixins by name, e.g. ``metta_lit.train.PPO_Contrastive``.

A run picks its losses in config, with no hand-written class per combination::

    model:
      class_path: metta_lit.train.PPO_Dynamics      # PPOLoss + DynamicsLoss + MettaLitModule
      init_args: {gamma: 0.99, num_envs: 16}         # every mixin's keywords, side by side

A name is the loss mixins' class names without their ``Loss`` suffix, joined by ``_``, left to
right in the order their hooks run; ``metta_lit.train.PPO`` is the default trainer. The class is
built on first access (``metta_lit.train.__getattr__``, PEP 562) and cached, so it imports and
pickles by that path like any class (DDP's spawn launcher pickles the module). jsonargparse
reads each mixin's keyword arguments through the ``super().__init__(**kwargs)`` chain, so
``--print_config`` lists them all.

A new loss is one file in :mod:`metta_lit.losses` defining a ``<Name>Loss(LossMixin)``; it is
found here without registration.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from metta_lit.core.errors import ConfigError, closest
from metta_lit.losses.base import LossMixin
from metta_lit.train.module import MettaLitModule

SUFFIX = "Loss"
PACKAGE = "metta_lit.train"  # where composed classes live: their import and pickle path


def loss_mixins() -> dict[str, type[LossMixin]]:
    """Every loss mixin by its short name (``PPO`` for ``PPOLoss``): those in
    :mod:`metta_lit.losses` and any other subclass of :class:`LossMixin` already imported."""
    import metta_lit.losses as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    found: dict[str, type[LossMixin]] = {}
    stack = list(LossMixin.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__name__.endswith(SUFFIX) and not issubclass(cls, MettaLitModule):
            found[cls.__name__.removesuffix(SUFFIX)] = cls
    return found


@functools.cache
def compose(*names: str) -> type[MettaLitModule]:
    """The module class training with the loss mixins ``names`` (short names, in hook order)."""
    if not names:
        raise ConfigError("a composed module needs at least one loss, e.g. metta_lit.train.PPO")
    if len(set(names)) != len(names):
        raise ConfigError(f"metta_lit.train.{'_'.join(names)}: a loss appears twice")
    mixins = loss_mixins()
    unknown = [name for name in names if name not in mixins]
    if unknown:
        raise ConfigError(
            f"metta_lit.train.{'_'.join(names)}: unknown loss {unknown[0]!r} "
            f"(closest: {', '.join(closest(unknown[0], mixins)) or 'none'}; losses: {', '.join(sorted(mixins))})"
        )
    name = "_".join(names)
    return type(
        name,
        (*(mixins[n] for n in names), MettaLitModule),
        {
            "__module__": PACKAGE,
            "__qualname__": name,
            "__doc__": f"Trains with {', '.join(mixins[n].__name__ for n in names)} on MettaGrid.",
        },
    )


class UnknownCompositionError(ConfigError, AttributeError):
    """A module name that composes no known losses; an ``AttributeError`` too, so ``hasattr``
    and import machinery treat it as a missing name."""


# Names configs and checkpoints written before the 2026-12 layout use for the default trainer.
LEGACY_NAMES = {"PPOModule": ("PPO",)}


def composed(name: str) -> type[MettaLitModule]:
    """The class a ``metta_lit.train.<name>`` attribute designates (see :func:`compose`)."""
    if name.startswith("__"):  # dunder lookups (copy, pickle, tooling) are not compositions
        raise AttributeError(name)
    try:
        return compose(*LEGACY_NAMES.get(name, name.split("_")))
    except ConfigError as e:
        raise UnknownCompositionError(str(e)) from None
