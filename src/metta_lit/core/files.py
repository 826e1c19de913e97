"""Reading and writing whole files at any fsspec URL (local paths, file://, s3://, memory://)."""

from __future__ import annotations

import os
import stat
import tempfile
from typing import Any

import fsspec
import yaml
from fsspec.implementations.local import LocalFileSystem

from metta_lit.core.errors import ConfigError, MettaLitError

TEMP_PREFIX = ".tmp-"  # a file being written; renamed over its destination when whole


def normalize_uri(uri: str) -> str:
    """Plain paths become absolute ``file://`` URLs; URLs are kept."""
    if "://" in uri:
        return uri
    return "file://" + os.path.abspath(os.path.expanduser(uri))


def read_bytes(url: str, what: str = "file", max_bytes: int | None = None) -> bytes:
    """The whole file; with ``max_bytes``, a larger file is refused before it is read.

    A local path must be a regular file: opening a FIFO would wait for a writer forever, and a
    device could be read without end. Other OS errors (a symlink loop, no permission) become a
    ``ValueError`` naming the file, as every other unreadable input does.
    """
    fs, path = fsspec.core.url_to_fs(url)
    try:
        if isinstance(fs, LocalFileSystem):
            mode = os.stat(path).st_mode  # its errors are reported below, as the open's would be
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(path)
            if not stat.S_ISREG(mode):
                raise ValueError(f"{url}: not a regular file (a pipe, socket or device), so not a {what}")
        with fs.open(path, "rb") as f:
            if max_bytes is None:
                return f.read()
            data = f.read(max_bytes + 1)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{url}: no such {what}") from e
    except IsADirectoryError as e:
        raise IsADirectoryError(f"{url}: is a directory, not a {what}") from e
    except OSError as e:
        raise ValueError(f"{url}: cannot read this {what} ({e.strerror or e})") from None
    if len(data) > max_bytes:
        raise ValueError(f"{url}: {what} larger than the {max_bytes:,}-byte limit")
    return data


MAX_YAML_BYTES = 16 << 20  # a config file: the largest shipped one is 4 kB, a hand-drawn 255x255 map ~65 kB


def read_yaml(path: str | os.PathLike, what: str = "config") -> Any:
    """A YAML file's data; any file that is no readable YAML is a :class:`ConfigError` naming it.

    PyYAML composes nested collections recursively, so a few hundred levels of ``{a: {a: ...}}``
    end in a RecursionError (a traceback) rather than a YAMLError: that is said as too deep.
    """
    try:
        text = read_bytes(os.fspath(path), what, MAX_YAML_BYTES).decode()
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the {what} is not UTF-8 text") from None
    except ValueError as e:  # too large, not a regular file, unreadable
        raise ConfigError(str(e)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path}: the {what} is nested too deeply to read") from None


def remove(url: str) -> None:
    fs, path = fsspec.core.url_to_fs(url)
    if fs.exists(path):
        fs.rm(path)


def _umask() -> int:
    """The process umask. Linux reports it in /proc; elsewhere os.umask can only read it by
    setting it, which briefly affects other threads, so /proc is preferred."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def save_figure(fig: Any, path: str, **savefig: Any) -> None:
    """Writes a matplotlib figure to ``path`` whole or not at all (format from the suffix) and
    closes it. The image is rendered in memory first, so a folder that is read-only or a disk
    that fills up leaves no partial file; either is a :class:`MettaLitError` naming the path."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format=os.path.splitext(path)[1].lstrip(".").lower() or "png", **savefig)
    except ValueError as e:  # an unknown format
        raise MettaLitError(f"{path}: cannot draw this file ({e})") from None
    finally:
        plt.close(fig)
    try:
        atomic_write(path, buffer.getvalue())
    except OSError as e:
        raise MettaLitError(f"{path}: cannot write the image ({e.strerror or e})") from None


def atomic_write(url: str, data: bytes) -> None:
    """Writes ``data`` so that readers see the old file or the new one, never a torn one.

    Local files: a temp file in the same directory, fsync, then ``os.replace``. Object
    stores (s3://...) replace objects atomically on their own.
    """
    fs, path = fsspec.core.url_to_fs(url)
    if isinstance(fs, LocalFileSystem):
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
        try:
            # mkstemp creates 0600; the file gets the mode any other new file would get.
            os.chmod(tmp, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    else:
        fs.makedirs(os.path.dirname(path), exist_ok=True)
        fs.pipe_file(path, data)
