"""A reviewed plan: the dry-run's lines written to a file, applied exactly later.

The file is one JSON document, a line per planned order line, so it can be
read, diffed and signed off before the apply.  Each line carries its
database id and what identifies it to people (order, warehouse, SKU) plus
the units it holds; ``--apply --plan`` releases a line only if all of that
still holds, and touches nothing outside the plan.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from wms.errors import WmsError
from wms.models import Order, OrderLine, Product, Warehouse

from backorder_release.backorders import BACKORDER_STATUSES
from backorder_release.files import write_atomically
from backorder_release.release import DRIFTED, SHIPPED_IN_FULL, SKIPPED, LineRelease
from backorder_release.wording import plural

PLAN_FORMAT = "backorder-release-plan"
PLAN_VERSION = 1
ALREADY_RELEASED = "already released"
MAX_ID = 2_147_483_647
"""Ids and units are INTEGER columns on the servers."""
CHECK_LINES = 2000
"""Plan lines checked and released per transaction (two parameters each)."""


class BadPlan(WmsError):
    """The file given to --plan is missing, unreadable or not a release plan."""


@dataclass(frozen=True, slots=True)
class PlannedLine:
    line_id: int
    order: str
    warehouse: str
    sku: str
    units: int

    def reported(
        self, status: str, reason: str = "", row: Row[Any] | None = None
    ) -> LineRelease:
        """This line as a report shows it; ``row`` is its current state, if any."""
        return LineRelease(
            order=self.order,
            warehouse=self.warehouse,
            sku=self.sku,
            units=self.units,
            status=status,
            reason=reason,
            line_id=self.line_id,
            order_id=row.order_id if row is not None else 0,
            warehouse_id=row.warehouse_id if row is not None else 0,
        )


def write_plan(
    path: Path,
    lines: Iterable[LineRelease],
    *,
    actor: str,
    created_at: str,
    scope: dict[str, str | None],
    protected: Iterable[Path] = (),
) -> dict[str, int]:
    """Write the planned lines to ``path`` atomically; return the plan's totals."""
    totals = {"lines": 0, "units": 0, "orders": 0}

    def write(handle: TextIO) -> None:
        header = {
            "format": PLAN_FORMAT,
            "version": PLAN_VERSION,
            "created_at": created_at,
            "actor": actor,
            "scope": scope,
        }
        handle.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "lines": [')
        orders: set[int] = set()
        for line in lines:
            if totals["lines"]:
                handle.write(",")
            handle.write("\n  " + json.dumps(_plan_entry(line), ensure_ascii=False))
            totals["lines"] += 1
            totals["units"] += line.units
            orders.add(line.order_id)
        totals["orders"] = len(orders)
        handle.write(f'\n], "totals": {json.dumps(totals)}}}\n')

    write_atomically(path, "plan", write, protected=protected)
    return totals


def _plan_entry(line: LineRelease) -> dict[str, Any]:
    return {
        "line_id": line.line_id,
        "order": line.order,
        "warehouse": line.warehouse,
        "sku": line.sku,
        "units": line.units,
    }


def read_plan(path: Path) -> list[PlannedLine]:
    """The plan's lines, checked: every problem is one BadPlan naming the file."""
    try:
        # A FIFO or a device (/dev/zero) would hang or never end.
        if path.exists() and not path.is_file():
            raise BadPlan(f"plan {path} is not a regular file")
        with path.open(encoding="utf-8") as handle:
            document = json.load(handle, object_hook=_compact_lines())
    except OSError as exc:
        raise BadPlan(f"cannot read plan {path}: {exc.strerror}") from exc
    # ValueError covers bad JSON, bad UTF-8 and integers of thousands of
    # digits; RecursionError a document nested beyond Python's stack.
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadPlan(
            f"plan {path} is not valid JSON ({reason}); write it with --plan-out"
        ) from exc

    if not isinstance(document, dict) or document.get("format") != PLAN_FORMAT:
        raise BadPlan(f"{path} is not a release plan; write one with --plan-out")
    version = document.get("version")
    if type(version) is not int or version != PLAN_VERSION:
        raise BadPlan(
            f"plan {path} has version {version!r}; this release "
            f"reads version {PLAN_VERSION}: write it again with --plan-out"
        )
    entries = document.get("lines")
    if not isinstance(entries, list):
        raise BadPlan(f"plan {path} has no list of lines")
    return _planned_lines(path, entries)


def _compact_lines() -> Callable[[dict[str, Any]], Any]:
    """A json.load hook that turns each valid line entry into a PlannedLine as
    it is parsed, sharing the repeated codes.

    The entries' dicts then never sit in memory all at once: a plan of the
    whole backlog of a 1M-line database (224,137 lines) peaked at 208 MB
    read as a document, and stays under the commands' 150 MB this way.
    """
    codes: dict[str, str] = {}

    def compact(entry: dict[str, Any]) -> Any:
        line = _planned_line(entry)
        if line is None:
            return entry
        return PlannedLine(
            line_id=line.line_id,
            order=line.order,
            warehouse=codes.setdefault(line.warehouse, line.warehouse),
            sku=codes.setdefault(line.sku, line.sku),
            units=line.units,
        )

    return compact


def _planned_lines(path: Path, entries: list[Any]) -> list[PlannedLine]:
    lines: list[PlannedLine] = []
    seen: set[int] = set()
    for number, entry in enumerate(entries, start=1):
        line = entry if isinstance(entry, PlannedLine) else None
        if line is None:
            raise BadPlan(
                f"plan {path}, line entry {number}: expected line_id and units "
                "(whole numbers from 1 to 2,147,483,647) and order, warehouse, "
                "sku (text)"
            )
        if line.line_id in seen:
            raise BadPlan(
                f"plan {path}, line entry {number}: line_id {line.line_id} is "
                "listed twice"
            )
        seen.add(line.line_id)
        lines.append(line)
    return lines


def _planned_line(entry: Any) -> PlannedLine | None:
    if not isinstance(entry, dict):
        return None
    numbers = [entry.get("line_id"), entry.get("units")]
    texts = [entry.get("order"), entry.get("warehouse"), entry.get("sku")]
    # bool is an int in Python; a plan saying "units": true is not a plan.
    if not all(type(n) is int and 0 < n <= MAX_ID for n in numbers):
        return None
    if not all(isinstance(t, str) for t in texts):
        return None
    return PlannedLine(
        line_id=entry["line_id"],
        order=entry["order"],
        warehouse=entry["warehouse"],
        sku=entry["sku"],
        units=entry["units"],
    )


def locate_lines(session: Session, planned: list[PlannedLine]) -> array[int]:
    """Each planned line's order id in this database (0 where it has no such
    line), in the plan's order.

    An array, not a dict of line ids: a quarter of a million entries are
    held until the plan is done.
    """
    order_ids = array("q", bytes(8 * len(planned)))
    for start in range(0, len(planned), CHECK_LINES):
        position = {
            line.line_id: start + offset
            for offset, line in enumerate(planned[start : start + CHECK_LINES])
        }
        rows = session.execute(
            select(OrderLine.id, OrderLine.order_id).where(
                OrderLine.id.in_(list(position))
            )
        )
        for line_id, order_id in rows:
            order_ids[position[line_id]] = order_id
    return order_ids


def whole_orders(
    planned: list[PlannedLine], order_ids: array[int]
) -> Iterator[list[PlannedLine]]:
    """Chunks of about CHECK_LINES lines that never split an order, in order-id
    order: the order-id ranges of two chunks never overlap, so one chunk's
    log rows are never counted again by the next.  ``order_ids`` is
    ``locate_lines``'s answer."""
    # One integer per line as the sort key, not a tuple: a quarter of a
    # million keys are held at once.
    ordered = sorted(
        range(len(planned)),
        key=lambda i: (order_ids[i] << 32) | planned[i].line_id,
    )
    chunk: list[PlannedLine] = []
    chunk_order = 0
    for i in ordered:
        if len(chunk) >= CHECK_LINES and order_ids[i] != chunk_order:
            yield chunk
            chunk = []
        chunk.append(planned[i])
        chunk_order = order_ids[i]
    if chunk:
        yield chunk


def check_plan(
    session: Session, planned: list[PlannedLine]
) -> tuple[list[tuple[PlannedLine, Row[Any]]], list[LineRelease]]:
    """Split planned lines into those still as planned (with their rows now)
    and the others: drifted, or skipped when already released (applying a
    plan twice releases nothing the second time).

    A line drifted when it is gone, is another order's or SKU's line in this
    database, is no longer backordered, or holds other units than planned.
    """
    current = {
        row.line_id: row
        for row in session.execute(_CURRENT, {"line_ids": [p.line_id for p in planned]})
    }
    unchanged: list[tuple[PlannedLine, Row[Any]]] = []
    drifted: list[LineRelease] = []
    for line in planned:
        row = current.get(line.line_id)
        reason = _drift(line, row)
        if reason == ALREADY_RELEASED:
            drifted.append(line.reported(SKIPPED, reason, row))
        elif reason:
            drifted.append(line.reported(DRIFTED, reason, row))
        else:
            assert row is not None
            unchanged.append((line, row))
    return unchanged, drifted


def _drift(line: PlannedLine, row: Row[Any] | None) -> str:
    if row is None:
        return "no such order line in this database"
    if (row.order, row.warehouse, row.sku) != (line.order, line.warehouse, line.sku):
        return (
            f"line {line.line_id} is order {row.order} / {row.warehouse} / "
            f"{row.sku} here: was the plan made on another database?"
        )
    if row.status not in BACKORDER_STATUSES:
        return f"order is {row.status} now, no longer backordered"
    if row.ordered <= row.shipped:
        return SHIPPED_IN_FULL
    if row.committed == 0:
        return ALREADY_RELEASED
    if row.committed != line.units:
        return (
            f"holds {plural(row.committed, 'committed unit')} now, {line.units} planned"
        )
    return ""


_CURRENT = (
    select(
        OrderLine.id.label("line_id"),
        Order.id.label("order_id"),
        Order.warehouse_id,
        Order.number.label("order"),
        Warehouse.code.label("warehouse"),
        Product.sku,
        Order.status,
        OrderLine.ordered,
        OrderLine.shipped,
        OrderLine.committed,
    )
    .join(Order, Order.id == OrderLine.order_id)
    .join(Warehouse, Warehouse.id == Order.warehouse_id)
    .join(Product, Product.id == OrderLine.product_id)
    .where(OrderLine.id.in_(bindparam("line_ids", expanding=True)))
)
