"""The release command's report, written as the lines come: constant memory.

JSON keeps its documented shape (``applied``, ``run_id``, ``lines``,
``totals``) but is written line by line; the table shows the first
``limit`` lines and the totals cover all of them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

import click
from wms.output import echo_table

from backorder_release.release import PLANNED, RELEASED, SKIPPED, LineRelease

COLUMNS = ["order", "warehouse", "sku", "units", "status", "reason"]
STATUSES = (PLANNED, RELEASED, SKIPPED)


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
        self._orders: dict[str, set[int]] = {status: set() for status in STATUSES}
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
        for line in lines:
            self._count(line)
            row = line.as_dict()
            if self.output_format == "json":
                separator = "" if self._first else ","
                click.echo(
                    f"{separator}\n  {json.dumps(row, ensure_ascii=False)}", nl=False
                )
                self._first = False
            elif not self.limit or len(self.shown) < self.limit:
                self.shown.append(row)
            else:
                self.hidden += 1

    def totals(self) -> dict[str, dict[str, int]]:
        return {
            status: {
                "lines": self._lines[status],
                "units": self._units[status],
                "orders": len(self._orders[status]),
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
        self._orders[line.status].add(line.order_id)

    def _echo_table(self, actor: str) -> None:
        echo_table(self.shown, COLUMNS, empty="no backordered lines found")
        if self.hidden:
            click.echo(f"... and {self.hidden} more lines (--limit 0 shows all)")
        click.echo("")
        for status, total in self.totals().items():
            if total["lines"]:
                click.echo(
                    f"{status}: {total['units']} units on {total['lines']} lines "
                    f"of {total['orders']} orders"
                )
        if self.applied:
            click.echo(f"run {self.run_id} by {actor}")
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
