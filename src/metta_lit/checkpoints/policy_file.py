"""Self-describing policy files (``.mpt``): load a policy without its training config.

An ``.mpt`` is a zip holding
- ``modelarchitecture.txt``: ``pkg.module.Class(key=<python literal>, ...)``, the policy
  class and the arguments that rebuild it (feature spec, action names, hyperparameters);
- ``weights.safetensors``: the CPU state dict (aliased storages cloned);
- ``metadata.json``: run name, version, agent steps and other provenance.

The architecture line is parsed with ``ast`` (literals only, never ``eval``) and only classes
under ``metta_lit.`` that subclass :class:`Policy` are instantiated, and only after the weights'
names and shapes match what the architecture builds (checked on the meta device first).
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import zipfile
import zlib
from typing import Any

import safetensors.torch
import torch

from metta_lit.checkpoints.uri import validate_run_name
from metta_lit.core.errors import MettaLitError
from metta_lit.core.files import atomic_write, read_bytes
from metta_lit.policy import Policy
from metta_lit.policy.core import SkippedInit

ARCHITECTURE, WEIGHTS, METADATA = "modelarchitecture.txt", "weights.safetensors", "metadata.json"
ALLOWED_PREFIXES = ("metta_lit.",)
MAX_POLICY_BYTES = 2 << 30  # a policy file (and its weights) larger than 2 GiB is refused unread
MAX_TEXT_BYTES = 1 << 20  # architecture text and metadata


class PolicyFileError(MettaLitError):
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
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError) as e:
        raise PolicyFileError(f"{where}: malformed architecture: {e}") from None
    if None in kwargs:
        raise PolicyFileError(f"{where}: malformed architecture: **kwargs are not allowed")
    return class_path, kwargs


def policy_class(class_path: str, where: str) -> type[Policy]:
    """The class an architecture names: only :class:`Policy` subclasses under ``metta_lit.``."""
    if not class_path.startswith(ALLOWED_PREFIXES):
        raise PolicyFileError(f"{where}: refusing to build {class_path!r} (only {ALLOWED_PREFIXES} classes load)")
    module_name, _, class_name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as e:
        raise PolicyFileError(f"{where}: unknown policy class {class_path!r}") from e
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise PolicyFileError(f"{where}: {class_path!r} is not a Policy")
    return cls


def build_policy(cls: type[Policy], kwargs: dict[str, Any], where: str, device: str = "cpu") -> Policy:
    """Builds ``cls(**kwargs)`` with its parameters uninitialized (:class:`SkippedInit`): every
    one of them is loaded next, by a strict ``load_state_dict`` of weights checked against the
    architecture. Any failure is the file's fault (its arguments are untrusted)."""
    negative = [f"{k}={v}" for k, v in kwargs.items() if isinstance(v, int) and not isinstance(v, bool) and v < 0]
    if negative:
        raise PolicyFileError(f"{where}: architecture arguments must not be negative: {', '.join(negative)}")
    try:
        with torch.device(device), SkippedInit():
            return cls(**kwargs)
    except Exception as e:  # noqa: BLE001 - a constructor fed bad literals can raise anything
        raise PolicyFileError(f"{where}: cannot build {cls.__qualname__} from its architecture: {e}") from None


def check_weights_match(skeleton: Policy, state: dict[str, torch.Tensor], where: str) -> None:
    """Refuses weights whose names or shapes differ from what the declared architecture builds.

    ``skeleton`` is built on the meta device (no memory, no init), so a crafted architecture
    that declares huge layers is refused before anything of that size is allocated: the
    weights in the file (bounded by the file size) must match it tensor for tensor.
    """
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    problems = [f"missing {k}" for k in sorted(expected.keys() - found.keys())]
    problems += [f"unexpected {k}" for k in sorted(found.keys() - expected.keys())]
    problems += [
        f"{k} is {list(found[k])} but the architecture declares {list(expected[k])}"
        for k in sorted(expected.keys() & found.keys())
        if expected[k] != found[k]
    ]
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PolicyFileError(f"{where}: weights do not match the architecture: {'; '.join(problems[:5])}{more}")


def check_metadata(metadata: Any, where: str) -> dict[str, Any]:
    """``metadata.json`` must be an object; the provenance fields it carries must be well formed."""
    if not isinstance(metadata, dict):
        raise PolicyFileError(f"{where}: expected a JSON object, got {type(metadata).__name__}")
    if "run" in metadata:
        if not isinstance(metadata["run"], str):
            raise PolicyFileError(f"{where}: 'run' must be a string, got {metadata['run']!r}")
        try:
            validate_run_name(metadata["run"])
        except ValueError as e:
            raise PolicyFileError(f"{where}: 'run': {e}") from None
    for key in ("version", "agent_steps"):
        value = metadata.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PolicyFileError(f"{where}: {key!r} must be a non-negative integer, got {value!r}")
    return metadata


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


def _member(z: zipfile.ZipFile, name: str, limit: int, url: str) -> bytes:
    """One archive member, refused by its declared size before it is inflated."""
    info = z.getinfo(name)
    if info.file_size > limit:
        raise PolicyFileError(f"{url}: {name} is {info.file_size:,} bytes (limit {limit:,})")
    try:
        with z.open(info) as f:
            data = f.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
        raise PolicyFileError(f"{url}: corrupt {name}: {e}") from None
    if len(data) > limit:
        raise PolicyFileError(f"{url}: {name} inflates past its {limit:,}-byte limit")
    return data


def read_policy_file(url: str) -> tuple[Policy, dict[str, Any]]:
    """Builds the policy stored at ``url`` (any fsspec URL) and returns it with its metadata."""
    try:
        data = read_bytes(url, "policy file", MAX_POLICY_BYTES)
    except (ValueError, IsADirectoryError) as e:
        raise PolicyFileError(str(e)) from None
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise PolicyFileError(f"{url}: not a policy file (.mpt is a zip archive): {e}") from None
    with z:
        names = set(z.namelist())
        missing = {ARCHITECTURE, WEIGHTS} - names
        if missing:
            raise PolicyFileError(f"{url}: missing {', '.join(sorted(missing))} in the archive")
        try:
            text = _member(z, ARCHITECTURE, MAX_TEXT_BYTES, url).decode("utf-8")
        except UnicodeDecodeError as e:
            raise PolicyFileError(f"{url}: {ARCHITECTURE} is not UTF-8 text ({e})") from None
        class_path, kwargs = parse_architecture(text, f"{url}: {ARCHITECTURE}")
        cls = policy_class(class_path, url)
        try:
            state = safetensors.torch.load(_member(z, WEIGHTS, MAX_POLICY_BYTES, url))
        except PolicyFileError:
            raise
        except Exception as e:  # noqa: BLE001 - safetensors raises its own error types for corrupt data
            raise PolicyFileError(f"{url}: corrupt {WEIGHTS}: {e}") from None
        metadata: Any = {}
        if METADATA in names:
            try:
                metadata = json.loads(_member(z, METADATA, MAX_TEXT_BYTES, url).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise PolicyFileError(f"{url}: {METADATA} is not valid JSON ({e})") from None
        metadata = check_metadata(metadata, f"{url}: {METADATA}")
    check_weights_match(build_policy(cls, kwargs, url, device="meta"), state, url)
    policy = build_policy(cls, kwargs, url)
    policy.load_state_dict(state)  # strict: every parameter and saved buffer comes from the file
    return policy, metadata
