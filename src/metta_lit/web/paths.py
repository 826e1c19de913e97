"""Folders the web app may read, and the one check every request path goes through.

A request names files by a path relative to a configured folder (``replays``, ``data_dir``).
Anything that could reach outside it is refused before a byte is read: an absolute path, a
``..`` part, a backslash or NUL, and a path whose real location (symlinks followed) is not
inside the folder's real location. Refusals are 403; a confined path that does not exist is 404.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException


@dataclass(frozen=True)
class Folder:
    """A configured folder; ``what`` names it in error messages."""

    root: Path
    what: str

    @classmethod
    def at(cls, path: str | os.PathLike[str], what: str) -> Folder:
        return cls(Path(path).expanduser().resolve(), what)

    def resolve(self, relative: str, must_exist: bool = True) -> Path:
        """The real path of ``relative`` inside this folder, or an HTTP 403/404."""
        parts = PurePosixPath(relative).parts
        if (
            not parts  # "", ".", "./": the folder itself is not a file
            or relative.startswith(("/", "~"))
            or "\\" in relative
            or "\x00" in relative
            or ".." in parts
            or ":" in parts[0]  # a drive or URL scheme (c:, file:)
        ):
            raise HTTPException(403, f"{self.what}: {relative!r} is not a path inside the {self.what} folder")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise HTTPException(403, f"{self.what}: {relative!r} leads outside the {self.what} folder")
        if must_exist and not path.exists():
            raise HTTPException(404, f"{self.what}: no {relative!r}")
        return path

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def files(self, suffix: str, limit: int = 1000) -> Iterator[Path]:
        """Files ending in ``suffix`` under the folder (newest first, at most ``limit``),
        leaving out any whose real path is outside it."""
        if not self.root.is_dir():
            return iter(())
        found = [p for p in self.root.rglob(f"*{suffix}") if p.is_file() and p.resolve().is_relative_to(self.root)]
        found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        return iter(found[:limit])
