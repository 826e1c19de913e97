"""How Lightning's full training state (``last.ckpt``) is written and read.

Lightning's default ``TorchCheckpointIO`` has two gaps for us:
- it saves through an fsspec transaction whose temp file lives in the system temp dir, so
  when that is another filesystem the final move copies over ``last.ckpt`` in place and a kill
  mid-copy leaves a truncated file;
- it unpickles with ``weights_only`` left to the caller (our resume path used ``False``), and
  Lightning's own safety pre-check only covers local paths, so a crafted ``.ckpt`` could run code.

:class:`SafeCheckpointIO` writes through :func:`metta_lit.core.files.atomic_write` (temp file in
the destination directory, fsync, rename) and always loads with ``weights_only=True``: our
checkpoints hold only tensors, numbers and strings, and a file that needs more is refused.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Callable
from typing import Any

import torch
from lightning.fabric.plugins.io.checkpoint_io import CheckpointIO
from lightning.fabric.utilities.types import _PATH

from metta_lit.core.errors import MettaLitError
from metta_lit.core.files import atomic_write, normalize_uri, read_bytes, remove


class CheckpointError(MettaLitError):
    """A training-state checkpoint that cannot (or must not) be loaded."""


def checkpoint_bytes(checkpoint: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return buffer.getvalue()


def load_training_state(path: str, map_location: Any = "cpu") -> dict[str, Any]:
    """Reads a ``.ckpt`` (any fsspec URL) without running code from it."""
    url = normalize_uri(str(path))
    data = read_bytes(url, "checkpoint")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CheckpointError(f"{url}: not a Lightning checkpoint (a .ckpt is a torch zip archive)")
    try:
        state = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"{url}: refusing to load: the checkpoint holds objects other than tensors, numbers and strings, "
            f"and unpickling them could run code ({reason})"
        ) from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"{url}: corrupt checkpoint: {e}") from None
    if not isinstance(state, dict) or "state_dict" not in state:
        raise CheckpointError(f"{url}: not a Lightning checkpoint (no 'state_dict')")
    return state


class SafeCheckpointIO(CheckpointIO):
    """Atomic saves and ``weights_only`` loads for ``trainer.save_checkpoint`` and resume."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: _PATH, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        atomic_write(normalize_uri(str(path)), checkpoint_bytes(checkpoint))

    def load_checkpoint(
        self, path: _PATH, map_location: Callable | None = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        # `weights_only` is ignored on purpose: loading never unpickles arbitrary objects.
        return load_training_state(str(path), map_location if map_location is not None else "cpu")

    def remove_checkpoint(self, path: _PATH) -> None:
        remove(normalize_uri(str(path)))
