"""Counts in the words operators read: "1 line", "2 lines"."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """``count`` and the noun, in the plural unless the count is one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
