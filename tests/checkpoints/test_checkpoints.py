"""Policy files and URIs: round trips, every URI form (local and s3://), bad input, atomicity."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
import torch
from conftest import evil_checkpoint, free_port, require_module
from tensordict import TensorDict

from metta_lit.checkpoints import (
    CheckpointManager,
    PolicyFileError,
    PolicyKey,
    checkpoint_filename,
    parse_checkpoint_name,
    policy_file,
    read_policy_file,
    resolve_policy_uri,
    save_policy,
    validate_run_name,
)
from metta_lit.checkpoints.lightning_io import CheckpointError, SafeCheckpointIO, load_training_state
from metta_lit.env import env_config
from metta_lit.policy import FastPolicy
from metta_lit.policy.core import value_normalizer
from metta_lit.rl.torch_env import MettaGridTorchEnv


@pytest.fixture(scope="module")
def policy() -> FastPolicy:
    env = MettaGridTorchEnv(env_config("navigation"), num_envs=1)
    torch.manual_seed(0)
    return FastPolicy(env.feature_spec, env.action_names, hidden_size=32, actor_hidden=16, critic_hidden=16)


def logits(p: FastPolicy) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    obs = torch.randint(0, 40, (3, 200, 3), dtype=torch.uint8, generator=g)
    td = TensorDict({"observation": obs, "is_init": torch.ones(3, 1, dtype=torch.bool)}, batch_size=[3])
    td.update({key: torch.zeros(3, *shape) for key, shape in p.memory_shapes().items()})
    return p(td)["logits"]


def test_policy_file_round_trip(policy, tmp_path):
    path = tmp_path / "run:v3.mpt"
    save_policy(policy, str(path), {"agent_steps": 123})
    loaded, meta = read_policy_file(str(path))
    assert type(loaded) is FastPolicy and loaded.architecture == policy.architecture
    assert meta == {"agent_steps": 123}
    torch.testing.assert_close(logits(loaded), logits(policy), rtol=0, atol=0)
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) == {"modelarchitecture.txt", "weights.safetensors", "metadata.json"}
        assert z.read("modelarchitecture.txt").decode().startswith("metta_lit.policy.fast.FastPolicy(feature_spec=")


def test_reading_a_policy_file_skips_the_init_its_weights_replace(policy, tmp_path, monkeypatch):
    """The orthogonal init's QRs (seconds on a busy machine) are not run for a policy whose weights
    are read next; what construction computes outside ``torch.nn.init`` is kept."""
    path = tmp_path / "run:v1.mpt"
    save_policy(policy, str(path), {})
    qr, calls = torch.linalg.qr, []
    monkeypatch.setattr(torch.linalg, "qr", lambda *a, **k: calls.append(1) or qr(*a, **k))
    FastPolicy(**policy.architecture[1])
    assert calls  # building initializes
    calls.clear()
    loaded, _ = read_policy_file(str(path))
    assert not calls
    torch.testing.assert_close(logits(loaded), logits(policy), rtol=0, atol=0)
    buffers = dict(policy.named_buffers())
    assert all(torch.equal(b, buffers[name]) for name, b in loaded.named_buffers())


def test_run_names_and_versions():
    assert checkpoint_filename("my_run", 30) == "my_run:v30.mpt"
    assert parse_checkpoint_name("s3://b/x/my.run-1:v30.mpt") == PolicyKey("my.run-1", 30)
    for bad in ("has space", "a/b", "x:y", "a__b", "", 'q"', "a*b"):
        with pytest.raises(ValueError, match="invalid run name"):
            validate_run_name(bad)
    with pytest.raises(ValueError, match="not a versioned policy file name"):
        parse_checkpoint_name("model.mpt")


def test_every_local_uri_form(policy, tmp_path):
    manager = CheckpointManager("runA", data_dir=str(tmp_path))
    for version in (2, 10, 7):
        manager.save_policy(policy, version)
    d = manager.checkpoint_dir
    best = os.path.join(d, "runA:v10.mpt")
    assert resolve_policy_uri(os.path.join(d, "runA:v7.mpt")) == "file://" + os.path.join(d, "runA:v7.mpt")
    assert resolve_policy_uri("file://" + best) == "file://" + best
    assert resolve_policy_uri(d) == "file://" + best  # a directory: its highest version
    assert resolve_policy_uri(os.path.join(d, "runA:latest")) == "file://" + best
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert resolve_policy_uri("runA/checkpoints/runA:latest") == "file://" + best  # relative paths
    finally:
        os.chdir(cwd)
    loaded, key, meta = CheckpointManager.load_from_uri("file://" + d)
    assert key == PolicyKey("runA", 10) and meta["run"] == "runA" and meta["version"] == 10


def test_uri_errors(policy, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such policy file"):
        resolve_policy_uri(str(tmp_path / "nope:v1.mpt"))
    with pytest.raises(FileNotFoundError, match="no <run>:v<N>.mpt policy files"):
        resolve_policy_uri(str(tmp_path))
    with pytest.raises(ValueError, match="http"):
        resolve_policy_uri("https://example.org/run:v1.mpt")
    with pytest.raises(ValueError, match="invalid run name"):
        resolve_policy_uri(str(tmp_path / "bad run:latest"))
    for run in ("a", "b"):
        CheckpointManager(run, str(tmp_path)).save_policy(policy, 1)
    os.makedirs(tmp_path / "mixed")
    for run in ("a", "b"):
        os.replace(tmp_path / run / "checkpoints" / f"{run}:v1.mpt", tmp_path / "mixed" / f"{run}:v1.mpt")
    with pytest.raises(ValueError, match="several runs"):
        resolve_policy_uri(str(tmp_path / "mixed"))


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_malformed_policy_files_name_the_problem(policy, tmp_path):
    good = policy_file.policy_bytes(policy)
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        arch, weights = z.read("modelarchitecture.txt"), z.read("weights.safetensors")
    cases = {
        "notzip:v1.mpt": (b"hello", "not a policy file"),
        "noweights:v1.mpt": (_zip({"modelarchitecture.txt": arch}), "missing weights.safetensors"),
        "badarch:v1.mpt": (
            _zip({"modelarchitecture.txt": b"FastPolicy(((", "weights.safetensors": weights}),
            "malformed architecture",
        ),
        "evil:v1.mpt": (
            _zip({"modelarchitecture.txt": b"os.system(cmd='true')", "weights.safetensors": weights}),
            "refusing to build",
        ),
        "corrupt:v1.mpt": (
            _zip({"modelarchitecture.txt": arch, "weights.safetensors": b"\x00" * 20}),
            "corrupt weights",
        ),
        "wrong:v1.mpt": (
            _zip(
                {
                    "modelarchitecture.txt": arch.replace(b"hidden_size=32", b"hidden_size=64"),
                    "weights.safetensors": weights,
                }
            ),
            "weights do not match",
        ),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(PolicyFileError, match=message) as info:
            read_policy_file(str(path))
        assert name in str(info.value)


def test_a_crash_while_writing_leaves_the_previous_file_intact(policy, tmp_path, monkeypatch):
    path = str(tmp_path / "r:v1.mpt")
    save_policy(policy, path)
    before = Path(path).read_bytes()

    def explode(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(KeyboardInterrupt):
        save_policy(policy, path, {"new": True})
    assert Path(path).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r:v1.mpt"]  # no temp file left behind
    read_policy_file(path)


@pytest.fixture
def s3_server(monkeypatch):
    """A real S3-compatible HTTP server (moto) on loopback, with one bucket."""
    moto_server = require_module("moto.server")
    boto3 = require_module("boto3")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_S3": endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="policies")
    import fsspec

    fsspec.config.conf["s3"] = {"endpoint_url": endpoint}
    yield endpoint
    fsspec.config.conf.pop("s3", None)
    server.stop()


def test_s3_uris_against_a_loopback_server(policy, tmp_path, s3_server):
    manager = CheckpointManager("runS", data_dir=str(tmp_path), remote_prefix="s3://policies/team")
    for version in (1, 12, 5):
        uris = manager.save_policy(policy, version)
        assert uris[1] == f"s3://policies/team/runS/runS:v{version}.mpt"
    assert resolve_policy_uri("s3://policies/team/runS/runS:latest") == "s3://policies/team/runS/runS:v12.mpt"
    assert resolve_policy_uri("s3://policies/team/runS") == "s3://policies/team/runS/runS:v12.mpt"
    loaded, key, meta = CheckpointManager.load_from_uri("s3://policies/team/runS/runS:v5.mpt")
    assert key == PolicyKey("runS", 5) and meta["version"] == 5
    torch.testing.assert_close(logits(loaded), logits(policy), rtol=0, atol=0)
    with pytest.raises(FileNotFoundError):
        resolve_policy_uri("s3://policies/team/runS/runS:v99.mpt")


@pytest.mark.timeout(60)
def test_an_architecture_declaring_huge_layers_is_refused_before_anything_is_built(policy, tmp_path):
    good = policy_file.policy_bytes(policy)
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        arch, weights = z.read("modelarchitecture.txt"), z.read("weights.safetensors")
    huge = arch.replace(b"hidden_size=32", b"hidden_size=6000").replace(b"critic_hidden=16", b"critic_hidden=60000")
    path = tmp_path / "huge:v1.mpt"
    path.write_bytes(_zip({"modelarchitecture.txt": huge, "weights.safetensors": weights}))
    # Built for real this takes minutes and gigabytes; refused from the weights' shapes instead.
    with pytest.raises(PolicyFileError, match=r"weights do not match the architecture: .* declares \[6000, 64\]"):
        read_policy_file(str(path))


def test_more_malformed_policy_files_name_the_file_and_the_problem(policy, tmp_path):
    good = policy_file.policy_bytes(policy)
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        arch, weights = z.read("modelarchitecture.txt"), z.read("weights.safetensors")

    def member(metadata: bytes) -> bytes:
        return _zip({"modelarchitecture.txt": arch, "weights.safetensors": weights, "metadata.json": metadata})

    cases = {
        "latin1:v1.mpt": (
            _zip({"modelarchitecture.txt": b"\xff\xfe" + arch, "weights.safetensors": weights}),
            "modelarchitecture.txt is not UTF-8",
        ),
        "negative:v1.mpt": (
            _zip(
                {
                    "modelarchitecture.txt": arch.replace(b"hidden_size=32", b"hidden_size=-4"),
                    "weights.safetensors": weights,
                }
            ),
            "must not be negative: hidden_size=-4",  # the argument named
        ),
        "badjson:v1.mpt": (member(b"{not json"), "metadata.json is not valid JSON"),
        "listjson:v1.mpt": (member(b"[1, 2]"), "metadata.json: expected a JSON object"),
        "version:v1.mpt": (member(b'{"version": "ten"}'), "'version' must be a non-negative integer"),
        "slash:v1.mpt": (member(b'{"run": "a/b"}'), "metadata.json: 'run': invalid run name 'a/b'"),
        "space:v1.mpt": (member(b'{"run": "a b"}'), "invalid run name 'a b'"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(PolicyFileError, match=message) as info:
            read_policy_file(str(path))
        assert str(path) in str(info.value)
    # An unversioned file name takes its key from metadata: a bad run name there is refused too.
    (tmp_path / "plain.mpt").write_bytes(member(b'{"run": "x y", "version": 1}'))
    with pytest.raises(PolicyFileError, match="invalid run name 'x y'"):
        CheckpointManager.load_from_uri(str(tmp_path / "plain.mpt"))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_policy_and_state_files_respect_the_umask(policy, tmp_path, umask):
    old = os.umask(umask)
    try:
        save_policy(policy, str(tmp_path / "r:v1.mpt"))
        SafeCheckpointIO().save_checkpoint({"state_dict": {}}, str(tmp_path / "last.ckpt"))
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    for name in ("r:v1.mpt", "last.ckpt", "plain.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name


def test_lightning_checkpoints_never_unpickle_code(tmp_path):
    evil, marker = tmp_path / "evil.ckpt", tmp_path / "pwned"
    evil_checkpoint(evil, marker)
    for uri in (str(evil), f"file://{evil}"):
        with pytest.raises(CheckpointError, match="refusing to load: the checkpoint holds objects other than"):
            SafeCheckpointIO().load_checkpoint(uri)
    assert not marker.exists()
    text = tmp_path / "notes.ckpt"
    text.write_text("just some text\n")
    with pytest.raises(CheckpointError, match=r"notes.ckpt: not a Lightning checkpoint"):
        load_training_state(str(text))
    torch.save({"weights": torch.zeros(2)}, str(tmp_path / "other.ckpt"))
    with pytest.raises(CheckpointError, match="no 'state_dict'"):
        load_training_state(str(tmp_path / "other.ckpt"))


def test_a_crash_while_writing_the_training_state_keeps_the_previous_one(tmp_path, monkeypatch):
    path = str(tmp_path / "last.ckpt")
    io_plugin = SafeCheckpointIO()
    io_plugin.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "epoch": 1}, path)

    def explode(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(KeyboardInterrupt):
        io_plugin.save_checkpoint({"state_dict": {"w": torch.zeros(3)}, "epoch": 2}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]  # the temp file sat beside it, and is gone
    assert io_plugin.load_checkpoint(path)["epoch"] == 1


def test_a_misspelt_policy_uri_names_the_closest(tmp_path, monkeypatch):
    """``randon`` -> random; a version that does not exist -> the policy files beside it."""
    from metta_lit.checkpoints.uri import resolve_policy_uri

    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"randon: no such policy file or directory \(closest: random\)"):
        resolve_policy_uri("randon")
    (tmp_path / "run:v1.mpt").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"\(closest: run:v1.mpt\)"):
        resolve_policy_uri(str(tmp_path / "run:v7.mpt"))


def test_a_popart_policy_file_keeps_its_value_statistics(tmp_path):
    """A policy with ``value_normalization`` saves its PopArt statistics with its weights, so
    the loaded critic outputs the same values."""
    env = MettaGridTorchEnv(env_config("navigation"), num_envs=1)
    torch.manual_seed(0)
    policy = FastPolicy(env.feature_spec, env.action_names, hidden_size=32, critic_hidden=16, value_normalization=True)
    value_normalizer(policy).update(mean=3.0, square_mean=13.0, rate=0.01)
    path = tmp_path / "run:v1.mpt"
    save_policy(policy, str(path), {})
    loaded, _ = read_policy_file(str(path))
    assert value_normalizer(loaded).mean.item() == 3.0 and value_normalizer(loaded).std.item() == pytest.approx(2.0)
    g = torch.Generator().manual_seed(1)
    obs = torch.randint(0, 40, (3, 200, 3), dtype=torch.uint8, generator=g)
    td = TensorDict({"observation": obs, "is_init": torch.ones(3, 1, dtype=torch.bool)}, batch_size=[3])
    td.update({key: torch.zeros(3, *shape) for key, shape in policy.memory_shapes().items()})
    torch.testing.assert_close(loaded(td.clone())["state_value"], policy(td.clone())["state_value"], rtol=0, atol=0)
