"""The release command's report, written as the lines come: constant memory.

JSON keeps its documented shape (``applied``, ``run_id``, ``lines``,
``totals``) but is written line by line; the table shows the first
``limit`` lines and the totals cover all of them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import click
from wms.output import echo_table

from backorder_release.release import (
    DRIFTED,
    PLANNED,
    RELEASED,
    REPORT_COLUMNS,
    REVERTED,
    SKIPPED,
    LineRelease,
    Released,
    RunTotals,
)
from backorder_release.wording import plural

STATUSES = (PLANNED, RELEASED, REVERTED, SKIPPED, DRIFTED)
CHUNK_LINES = 1000
_LINE_JSON = (
    '{{"order": {}, "warehouse": {}, "sku": {}, "units": {}, '
    '"status": {}, "reason": {}}}'
)


class ReleaseReport:
    def __init__(self, *, output_format: str, applied: bool, limit: int) -> None:
        self.output_format = output_format
        self.applied = applied
        self.limit = limit
        self.run_id: str | None = None
        self.shown: list[dict[str, object]] = []
        self.hidden = 0
        self._lines: Counter[str] = Counter()
        self._units: Counter[str] = Counter()
        self._orders: dict[str, set[str]] = {status: set() for status in STATUSES}
        self._orders_counted: Counter[str] = Counter()
        self.next_step: str | None = None
        """What the last line tells the operator to do, when not the default."""
        self._first = True

    def start(self, run_id: str | None) -> None:
        self.run_id = run_id
        if self.output_format == "json":
            click.echo(
                f'{{"applied": {json.dumps(self.applied)}, '
                f'"run_id": {json.dumps(run_id)}, "lines": [',
                nl=False,
            )

    def add(self, lines: Iterable[LineRelease]) -> None:
        """Count and show planned or skipped lines."""
        self._show(lines, count=True)

    def add_released(
        self,
        released: Iterable[Released],
        lines: Iterable[LineRelease],
        *,
        status: str = RELEASED,
    ) -> None:
        """Count a batch from its summaries; show the lines read back from the log.

        The table reads back only the lines it has room for; the rest of
        the batch's lines count as hidden.
        """
        released = list(released)
        self._count_released(released, status)
        passed = self._show(lines, count=False)
        self.hidden += sum(summary.lines for summary in released) - passed

    def add_released_json(
        self, released: Iterable[Released], objects: Iterable[str], *, status: str
    ) -> None:
        """``add_released`` for JSON, with the objects the database wrote."""
        self._count_released(released, status)
        chunk: list[str] = []
        for text in objects:
            chunk.append(text)
            if len(chunk) == CHUNK_LINES:
                self._write_json(chunk)
                chunk = []
        self._write_json(chunk)

    def _count_released(self, released: Iterable[Released], status: str) -> None:
        for summary in released:
            self._lines[status] += summary.lines
            self._units[status] += abs(summary.units)
            self._orders_counted[status] += summary.orders

    def room(self) -> int | None:
        """How many more lines would be shown: None for all of them."""
        if self.output_format == "json" or not self.limit:
            return None
        return max(self.limit - len(self.shown), 0)

    def _show(self, lines: Iterable[LineRelease], *, count: bool) -> int:
        """Show (or hide, past the limit) the lines; how many there were."""
        passed = 0
        chunk: list[LineRelease] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) == CHUNK_LINES:
                self._show_chunk(chunk, count=count)
                passed += len(chunk)
                chunk = []
        self._show_chunk(chunk, count=count)
        return passed + len(chunk)

    def _show_chunk(self, chunk: list[LineRelease], *, count: bool) -> None:
        """Count and show lines many at a time: a million lines cost seconds."""
        if not chunk:
            return
        if count:
            for line in chunk:
                self._count(line)

        if self.output_format == "json":
            self._write_json(_json_lines(chunk))
            return
        room = max(self.limit - len(self.shown), 0) if self.limit else len(chunk)
        self.shown.extend(line.as_dict() for line in chunk[:room])
        self.hidden += len(chunk[room:])

    def _write_json(self, objects: list[str]) -> None:
        if not objects:
            return
        separator = "\n  " if self._first else ",\n  "
        click.echo(separator + ",\n  ".join(objects), nl=False)
        self._first = False

    def totals(self) -> dict[str, dict[str, int]]:
        return {
            status: {
                "lines": self._lines[status],
                "units": self._units[status],
                "orders": len(self._orders[status]) + self._orders_counted[status],
            }
            for status in STATUSES
        }

    def finish(self, actor: str) -> None:
        if self.output_format == "json":
            click.echo(f'\n], "totals": {json.dumps(self.totals())}}}')
            return
        self._echo_table(actor)

    def _count(self, line: LineRelease) -> None:
        self._lines[line.status] += 1
        self._units[line.status] += line.units
        # By number, not id: a planned line gone from this database has no
        # order id, and order numbers are unique.
        self._orders[line.status].add(line.order)

    def _echo_table(self, actor: str) -> None:
        echo_table(
            self.shown,
            list(REPORT_COLUMNS),
            empty="no backordered lines found",
            style=_status_style,
        )
        if self.hidden:
            click.echo(f"... and {self.hidden} more lines (--limit 0 shows all)")
        click.echo("")
        for status, total in self.totals().items():
            if total["lines"]:
                click.echo(
                    f"{status}: {plural(total['units'], 'unit')} on "
                    f"{plural(total['lines'], 'line')} of "
                    f"{plural(total['orders'], 'order')}"
                )
        if self.applied and (self._lines[RELEASED] or self._lines[REVERTED]):
            click.echo(f"run {self.run_id} by {actor}")
        elif self.applied:
            click.echo(
                f"changed nothing and logged nothing (by {actor}): "
                "there is no run to revert"
            )
        if self.next_step:
            click.echo(self.next_step)
        elif self.applied:
            click.echo(
                "next: switch the setting on with "
                "'wms settings set inventory.release_backorder_commitments true'"
            )
        elif self._lines[PLANNED]:
            click.echo(
                "dry-run: nothing was changed. next: run again with --apply to release"
            )
        else:
            click.echo("nothing to release; the setting can be switched on")


def stopped_note(run_id: str, totals: RunTotals) -> str:
    """What a run stopped half-way had committed, and what to do about it."""
    done = (
        f"{plural(abs(totals.units), 'unit')} on {plural(totals.lines, 'line')} of "
        f"{plural(totals.orders, 'order')}"
    )
    if totals.units < 0:
        return (
            f"stopped: run {run_id} had already re-committed {done}; they stay "
            "re-committed. next: run the same --revert again to finish"
        )
    return (
        f"stopped: run {run_id} had already released {done}; they stay released. "
        "next: run the same command again to release the rest, or re-commit "
        f"them with --revert {run_id} --apply"
    )


_STATUS_STYLES: dict[str, dict[str, Any]] = {
    DRIFTED: {"fg": "yellow", "bold": True},
    SKIPPED: {"dim": True},
}


def _status_style(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """Drifted lines need a look; skipped ones need none."""
    return _STATUS_STYLES.get(row["status"])


def _json_lines(chunk: list[LineRelease]) -> list[str]:
    """Each line as one JSON object, with one call to the C encoder per chunk.

    Encoding line by line went through ``json.dumps``'s Python layers a
    quarter of a million times at 1M order lines.  The chunk's values are
    encoded as one list whose items are separated by a raw newline, which
    never occurs inside an encoded value, and then put into the template.
    """
    values = [value for line in chunk for value in line[:6]]
    encoded = json.dumps(values, ensure_ascii=False, separators=("\n", ":"))
    items = encoded[1:-1].split("\n")
    return [_LINE_JSON.format(*items[i : i + 6]) for i in range(0, len(items), 6)]
