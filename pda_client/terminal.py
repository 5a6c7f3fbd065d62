"""What a keyboard-wedge scanner types: one scan or command per line on stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterator


def input_lines() -> Iterator[tuple[str, str, list[str]]]:
    """(the line as typed, its first word lowercased, its words) for each non-blank line,
    read one at a time so each scan is handled as it arrives."""
    for text in iter(sys.stdin.readline, ""):
        raw = text.rstrip("\r\n")
        words = raw.split()
        if words:
            yield raw, words[0].lower(), words
