"""Self-describing policy files (``.mpt``): load a policy without its training config.

An ``.mpt`` is a zip holding
- ``modelarchitecture.txt``: ``pkg.module.Class(key=<python literal>, ...)``, the policy
  class and the arguments that rebuild it (feature spec, action names, hyperparameters);
- ``weights.safetensors``: the CPU state dict (aliased storages cloned);
- ``metadata.json``: run name, version, agent steps and other provenance.

The architecture line is parsed with ``ast`` (literals only, never ``eval``) and only classes
under ``metta_lit.`` that subclass :class:`Policy` are instantiated.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import zipfile
from typing import Any

import safetensors.torch

from metta_lit.policy import Policy
from metta_lit.storage import atomic_write, read_bytes

ARCHITECTURE, WEIGHTS, METADATA = "modelarchitecture.txt", "weights.safetensors", "metadata.json"
ALLOWED_PREFIXES = ("metta_lit.",)


class PolicyFileError(ValueError):
    """A policy file that cannot be read; the message names the file and the problem."""


def architecture_text(policy: Policy) -> str:
    class_path, kwargs = policy.architecture
    return f"{class_path}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


def parse_architecture(text: str, where: str = "modelarchitecture.txt") -> tuple[str, dict[str, Any]]:
    try:
        node = ast.parse(text.strip(), mode="eval").body
        if not isinstance(node, ast.Call) or node.args:
            raise ValueError("expected Class(key=value, ...)")
        class_path = ast.unparse(node.func)
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    except (SyntaxError, ValueError) as e:
        raise PolicyFileError(f"{where}: malformed architecture: {e}") from e
    if None in kwargs:
        raise PolicyFileError(f"{where}: malformed architecture: **kwargs are not allowed")
    return class_path, kwargs


def build_policy(class_path: str, kwargs: dict[str, Any], where: str) -> Policy:
    if not class_path.startswith(ALLOWED_PREFIXES):
        raise PolicyFileError(f"{where}: refusing to build {class_path!r} (only {ALLOWED_PREFIXES} classes load)")
    module_name, _, class_name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as e:
        raise PolicyFileError(f"{where}: unknown policy class {class_path!r}") from e
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise PolicyFileError(f"{where}: {class_path!r} is not a Policy")
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise PolicyFileError(f"{where}: cannot build {class_path}: {e}") from e


def policy_bytes(policy: Policy, metadata: dict[str, Any] | None = None) -> bytes:
    state = {k: v.detach().cpu().clone().contiguous() for k, v in policy.state_dict().items()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(ARCHITECTURE, architecture_text(policy))
        z.writestr(WEIGHTS, safetensors.torch.save(state))
        z.writestr(METADATA, json.dumps(metadata or {}, indent=2, sort_keys=True))
    return buf.getvalue()


def save_policy(policy: Policy, url: str, metadata: dict[str, Any] | None = None) -> None:
    atomic_write(url, policy_bytes(policy, metadata))


def read_policy_file(url: str) -> tuple[Policy, dict[str, Any]]:
    """Builds the policy stored at ``url`` (any fsspec URL) and returns it with its metadata."""
    data = read_bytes(url, "policy file")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise PolicyFileError(f"{url}: not a policy file (.mpt is a zip archive): {e}") from e
    with z:
        names = set(z.namelist())
        missing = {ARCHITECTURE, WEIGHTS} - names
        if missing:
            raise PolicyFileError(f"{url}: missing {', '.join(sorted(missing))} in the archive")
        class_path, kwargs = parse_architecture(z.read(ARCHITECTURE).decode(), f"{url}: {ARCHITECTURE}")
        policy = build_policy(class_path, kwargs, url)
        try:
            state = safetensors.torch.load(z.read(WEIGHTS))
        except Exception as e:  # safetensors raises its own error types for corrupt data
            raise PolicyFileError(f"{url}: corrupt {WEIGHTS}: {e}") from e
        metadata = json.loads(z.read(METADATA)) if METADATA in names else {}
    try:
        policy.load_state_dict(state)
    except RuntimeError as e:  # missing/unexpected keys or shape mismatches
        raise PolicyFileError(f"{url}: weights do not match {class_path}: {e}") from e
    return policy, metadata


def load_policy_weights(policy: Policy, url: str) -> dict[str, Any]:
    """Loads a policy file's weights into an existing policy of the same architecture."""
    loaded, metadata = read_policy_file(url)
    if loaded.architecture != policy.architecture:
        raise PolicyFileError(f"{url}: architecture {loaded.architecture[0]} differs from the configured policy")
    policy.load_state_dict(loaded.state_dict())
    return metadata
