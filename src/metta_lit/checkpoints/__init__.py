"""Policy files, versioned URIs and the checkpoint manager."""

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.checkpoints.policy_file import PolicyFileError, read_policy_file, save_policy
from metta_lit.checkpoints.uri import (
    PolicyKey,
    checkpoint_filename,
    parse_checkpoint_name,
    resolve_policy_uri,
    validate_run_name,
)

__all__ = [
    "CheckpointManager",
    "PolicyFileError",
    "PolicyKey",
    "checkpoint_filename",
    "parse_checkpoint_name",
    "read_policy_file",
    "resolve_policy_uri",
    "save_policy",
    "validate_run_name",
]
