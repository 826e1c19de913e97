"""Writing a run's ``metrics.csv`` so its history survives resumes and kills.

Written by hand because Lightning's ``CSVLogger`` deletes an existing ``metrics.csv`` when it
starts (one row left after three resumes) and buffers 100 steps (rows since the last flush
are lost on a kill). Here a row is appended and the file closed at every update; a new metric
name rewrites the file with the wider header through a temp file + rename, and so does
cutting rows on resume, so a kill never truncates the history.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from metta_lit.core.files import atomic_write, normalize_uri
from metta_lit.runs.history import STEPS, number


class MetricsFile:
    """Rows of metrics in ``path``, one column per name (sorted), appended in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fieldnames: list[str] = self._header() if path.is_file() else []

    def _header(self) -> list[str]:
        """The file's column names (its first line only: a long history is not read for them)."""
        with open(self.path, newline="") as f:
            return next(csv.reader(f), [])

    def _read(self) -> tuple[list[str], list[dict[str, str]]]:
        with open(self.path, newline="") as f:
            reader = csv.DictReader(f)
            return list(reader.fieldnames or []), list(reader)

    def _rewrite(self, fieldnames: list[str], rows: list[dict[str, str]]) -> None:
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(normalize_uri(str(self.path)), text.getvalue().encode())
        self.fieldnames = fieldnames

    def append(self, row: dict[str, float]) -> None:
        new = set(row) - set(self.fieldnames)
        if new:
            rows = self._read()[1] if self.path.is_file() else []
            self._rewrite(sorted({*self.fieldnames, *new}), rows)
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=self.fieldnames).writerow(row)

    def cut_after(self, agent_steps: int) -> int:
        """Drops the rows logged after ``agent_steps`` (where a resume restarts: those updates
        will be logged again); returns how many went."""
        if not self.path.is_file():
            return 0
        fieldnames, rows = self._read()
        steps = [number(row.get(STEPS)) for row in rows]
        cut = next((i for i, s in enumerate(steps) if s is not None and s > agent_steps), len(rows))
        if cut < len(rows):
            self._rewrite(fieldnames, rows[:cut])
        return len(rows) - cut
