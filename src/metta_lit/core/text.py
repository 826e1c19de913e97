"""Text shown to users from docstrings."""

from __future__ import annotations

import re


def first_sentence(doc: str | None) -> str:
    """The first sentence of a docstring's first paragraph, whole even when it wraps over lines
    (the first line alone cuts it mid-sentence in ``--help`` and ``run --list``)."""
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    match = re.match(r"(.+?[.!?])(\s|$)", paragraph)
    return match[1] if match else paragraph
