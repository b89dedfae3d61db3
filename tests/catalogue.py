"""The README's bad-input catalogue, read back so that it and the tests agree.

Every table under the README's ``## Bad input`` heading has the columns
``exit``, ``message`` and ``test``: the case id of a parametrized test, the exit
code it gives, and the error line it prints, where ``…`` stands for any text
(a temporary path, a driver's own wording).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from click.testing import Result

from tests.helpers import assert_one_line_error

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Bad input"
ELLIPSIS = "…"


@dataclass(frozen=True)
class Entry:
    """One documented bad input: its exit code and its error line."""

    case_id: str
    exit_code: int
    message: str

    def matches(self, line: str) -> bool:
        """Whether ``line`` is this message, each ``…`` standing for any text."""
        pattern = ".*".join(re.escape(part) for part in self.message.split(ELLIPSIS))
        return re.fullmatch(pattern, line, flags=re.DOTALL) is not None


def section_lines(text: str) -> list[str]:
    """The lines of the README's bad-input section, up to the next ``## `` heading."""
    lines = text.splitlines()
    start = lines.index(SECTION) + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    return lines[start:end]


def cells(row: str) -> list[str]:
    """A table row's cells: split on unescaped pipes, code spans unwrapped."""
    parts = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return [part.strip().replace("\\|", "|").strip("`") for part in parts]


def read_entries(text: str) -> list[Entry]:
    """Every row of every table in the section, in README order."""
    entries: list[Entry] = []
    header: list[str] = []
    for line in section_lines(text):
        if not line.startswith("|"):
            header = []
        elif not header:
            header = cells(line)
        elif not set(line) <= set("|-: "):
            row = dict(zip(header, cells(line), strict=True))
            entries.append(Entry(row["test"], int(row["exit"]), row["message"]))
    return entries


@functools.cache
def documented() -> dict[str, Entry]:
    return {entry.case_id: entry for entry in read_entries(README.read_text("utf-8"))}


def assert_documented_error(result: Result, case_id: str, exit_code: int) -> None:
    """One error line with ``exit_code``, worded as the README's catalogue says."""
    assert_one_line_error(result, exit_code)
    entry = documented().get(case_id)
    assert entry is not None, f"add a row for {case_id} to README.md's {SECTION!r}"
    assert entry.exit_code == exit_code, (
        f"README gives {case_id} exit {entry.exit_code}"
    )
    line = result.stderr.rstrip("\n")
    assert entry.matches(line), (
        f"README documents {entry.message!r} for {case_id}, the command printed {line!r}"
    )
