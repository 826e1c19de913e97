"""Where a run's checkpoints live, and loading policies back from URIs."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import torch

from metta_lit.checkpoints.policy_file import read_policy_file, save_policy
from metta_lit.checkpoints.uri import (
    RANDOM_URI,
    PolicyKey,
    checkpoint_filename,
    default_data_dir,
    default_run_name,
    parse_checkpoint_name,
    resolve_policy_uri,
    validate_run_name,
)
from metta_lit.core.files import TEMP_PREFIX, normalize_uri
from metta_lit.policy import Policy, RandomPolicy
from metta_lit.runs import RunDir


class CheckpointManager:
    """A run's checkpoint directory ``<data_dir>/<run>/checkpoints``.

    Holds ``<run>:v<N>.mpt`` policy files (N = completed updates) and Lightning's full
    training state ``last.ckpt`` (optimizer, agent steps, RNG) for resuming. With a
    ``remote_prefix`` (e.g. ``s3://bucket/policies``) each policy is also copied to
    ``<remote_prefix>/<run>/<run>:v<N>.mpt``.
    """

    def __init__(self, run: str, data_dir: str = "./train_dir", remote_prefix: str | None = None) -> None:
        self.run = validate_run_name(run)
        self.data_dir = data_dir if "://" in data_dir else os.path.abspath(os.path.expanduser(data_dir))
        self.remote_prefix = remote_prefix.rstrip("/") if remote_prefix else None

    @classmethod
    def for_run(cls, run: str | None, data_dir: str | None, remote_prefix: str | None = None) -> CheckpointManager:
        """The manager of a run as configured: no run name is ``local.$USER.<time>``, no data
        dir ``$METTA_LIT_DATA_DIR`` or ``./train_dir``."""
        return cls(run or default_run_name(), data_dir or default_data_dir(), remote_prefix)

    @property
    def run_dir(self) -> str:
        return os.path.join(self.data_dir, self.run)

    @property
    def checkpoint_dir(self) -> str:
        return os.path.join(self.run_dir, RunDir.CHECKPOINTS)

    @property
    def trainer_state_path(self) -> str:
        return os.path.join(self.run_dir, RunDir.TRAINER_STATE)

    def save_policy(self, policy: Policy, version: int, metadata: dict[str, Any] | None = None) -> list[str]:
        """Writes version ``version`` atomically; returns its URIs (local first, then remote)."""
        name = checkpoint_filename(self.run, version)
        meta = {"run": self.run, "version": version, **(metadata or {})}
        uris = [normalize_uri(os.path.join(self.checkpoint_dir, name))]
        if self.remote_prefix:
            uris.append(f"{self.remote_prefix}/{self.run}/{name}")
        for uri in uris:
            save_policy(policy, uri, meta)
        return uris

    def _local_names(self) -> list[str]:
        """File names in the checkpoint directory when it is local (remote ones are not pruned)."""
        if "://" in self.checkpoint_dir or not os.path.isdir(self.checkpoint_dir):
            return []
        return os.listdir(self.checkpoint_dir)

    def local_versions(self) -> list[int]:
        """Versions of this run's policy files in the local checkpoint directory, ascending."""
        versions = []
        for name in self._local_names():
            try:
                key = parse_checkpoint_name(name)
            except ValueError:
                continue  # not a policy file of ours
            if key.run == self.run:
                versions.append(key.version)
        return sorted(versions)

    def prune(self, keep_last: int | None, keep_every: int | None) -> list[int]:
        """Deletes local policy files outside the retention policy: the newest ``keep_last``
        versions stay, and so does every version divisible by ``keep_every`` (None: no such
        rule). Remote copies are left alone. Returns the versions deleted."""
        versions = self.local_versions()
        keep = set(versions[-keep_last:]) if keep_last else set(versions)
        if keep_every:
            keep.update(v for v in versions if v % keep_every == 0)
        removed = [v for v in versions if v not in keep]
        for version in removed:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.checkpoint_dir, checkpoint_filename(self.run, version)))
        return removed

    def remove_partial_files(self) -> list[str]:
        """Deletes ``.tmp-*`` files left in the checkpoint directory by a save that was killed
        before its rename (the files they were to replace are whole)."""
        partial = [n for n in self._local_names() if n.startswith(TEMP_PREFIX)]
        for name in partial:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.remove(os.path.join(self.checkpoint_dir, name))
        return partial

    @staticmethod
    def load_for_env(
        uri: str, feature_spec: dict[str, dict[str, Any]], action_names: list[str], device: str | torch.device = "cpu"
    ) -> tuple[Policy, PolicyKey]:
        """The policy a URI (or ``random``) designates, ready to act in an env with these
        features and actions (both matched by name)."""
        if uri == RANDOM_URI:
            policy: Policy = RandomPolicy(feature_spec, action_names)
            key = PolicyKey(RANDOM_URI, 0)
        else:
            policy, key, _ = CheckpointManager.load_from_uri(uri, device)
        policy.initialize_to_environment(feature_spec, action_names)
        return policy.to(device), key

    @staticmethod
    def load_from_uri(uri: str, device: str | torch.device = "cpu") -> tuple[Policy, PolicyKey, dict[str, Any]]:
        """The policy a URI designates, its (run, version) key and its metadata."""
        url = resolve_policy_uri(uri)
        policy, metadata = read_policy_file(url)
        try:
            key = parse_checkpoint_name(url)
        except ValueError:  # an unversioned file name: fall back to the recorded provenance
            stem = url.rsplit("/", 1)[-1].removesuffix(".mpt")
            key = PolicyKey(str(metadata.get("run", stem)), int(metadata.get("version", 0)))
        return policy.to(device), key, metadata
