"""Reading and writing whole files at any fsspec URL (local paths, file://, s3://, memory://)."""

from __future__ import annotations

import os
import tempfile

import fsspec
from fsspec.implementations.local import LocalFileSystem


def normalize_uri(uri: str) -> str:
    """Plain paths become absolute ``file://`` URLs; URLs are kept."""
    if "://" in uri:
        return uri
    return "file://" + os.path.abspath(os.path.expanduser(uri))


def read_bytes(url: str, what: str = "file") -> bytes:
    try:
        with fsspec.open(url, "rb") as f:
            return f.read()
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{url}: no such {what}") from e


def atomic_write(url: str, data: bytes) -> None:
    """Writes ``data`` so that readers see the old file or the new one, never a torn one.

    Local files: a temp file in the same directory, fsync, then ``os.replace``. Object
    stores (s3://...) replace objects atomically on their own.
    """
    fs, path = fsspec.core.url_to_fs(url)
    if isinstance(fs, LocalFileSystem):
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        try:
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
