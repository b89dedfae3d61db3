"""The one release function, called by both hooks and the cleanup command.

Releasing a backordered line sets its committed units to 0, lowers the
stock's committed by the same amount, and logs one row per line.  Locks are
taken in the host's fixed order (stock rows by warehouse and product, then
orders, then lines by id) and every line is re-checked under its lock, so a
line that a concurrent step already released or re-picked is skipped, never
released twice.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from wms import activity
from wms.models import Order, OrderLine, utcnow
from wms.stock import StockKey, adjust_committed_many, lock_stock

from backorder_release.backorders import (
    backordered_lines,
    has_releasable_lines,
    is_releasable_line,
)
from backorder_release.models import ReleaseLog, Trigger

log = logging.getLogger(__name__)

STREAM_ROWS = 2000

PLANNED = "planned"
RELEASED = "released"
SKIPPED = "skipped"


@dataclass(frozen=True)
class LineRelease:
    """One backordered line in a plan or a run, and what happened to it."""

    order: str
    warehouse: str
    sku: str
    units: int
    status: str
    line_id: int
    order_id: int
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "order": self.order,
            "warehouse": self.warehouse,
            "sku": self.sku,
            "units": self.units,
            "status": self.status,
            "reason": self.reason,
        }


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def plan_release(
    session: Session,
    *,
    warehouse_id: int | None = None,
    order_ids: list[int] | None = None,
    releasable: bool | None = None,
) -> Iterator[LineRelease]:
    """What a release would do now: backordered lines, planned or skipped.

    Rows are streamed, so a plan of millions of lines never sits in memory.
    ``releasable`` picks only the planned (True) or only the skipped (False)
    lines.
    """
    stmt = backordered_lines(
        releasable=releasable, warehouse_id=warehouse_id, order_ids=order_ids
    )
    rows = session.execute(stmt.execution_options(yield_per=STREAM_ROWS))
    for line_id, order_id, _, _, committed, number, code, sku in rows:
        yield LineRelease(
            order=number,
            warehouse=code,
            sku=sku,
            units=committed,
            status=PLANNED if committed > 0 else SKIPPED,
            line_id=line_id,
            order_id=order_id,
            reason="" if committed > 0 else "nothing committed (already released)",
        )


def releasable_order_ids(
    session: Session,
    *,
    after: int = 0,
    limit: int | None = None,
    warehouse_id: int | None = None,
    order_ids: list[int] | None = None,
) -> list[int]:
    """Ids of orders with releasable lines, above ``after``, in id order (keyset)."""
    stmt = _orders_with_releasable_lines(warehouse_id, order_ids).where(
        Order.id > after
    )
    return list(session.scalars(stmt.order_by(Order.id).limit(limit)))


def count_releasable_orders(
    session: Session,
    *,
    warehouse_id: int | None = None,
    order_ids: list[int] | None = None,
) -> int:
    inner = _orders_with_releasable_lines(warehouse_id, order_ids).subquery()
    return session.scalar(select(func.count()).select_from(inner)) or 0


def _orders_with_releasable_lines(
    warehouse_id: int | None, order_ids: list[int] | None
) -> Select[tuple[int]]:
    stmt = select(Order.id).where(has_releasable_lines())
    if warehouse_id is not None:
        stmt = stmt.where(Order.warehouse_id == warehouse_id)
    if order_ids is not None:
        stmt = stmt.where(Order.id.in_(order_ids))
    return stmt


def release_orders(
    session: Session,
    order_ids: Sequence[int],
    *,
    trigger: Trigger,
    run_id: str,
    actor: str,
    locked_by_caller: bool = False,
) -> list[LineRelease]:
    """Release every releasable line of these orders, in the caller's transaction.

    ``locked_by_caller`` says the caller already holds the stock, order and
    line locks (a lifecycle hook runs inside the host's locked step), so only
    the lines are read again, under their lock, to re-check them.
    """
    candidates = session.execute(_CANDIDATES, {"order_ids": list(order_ids)}).all()
    if not candidates:
        return []

    if not locked_by_caller:
        lock_stock(session, {(wh, product) for _, _, wh, product, *_ in candidates})
        session.execute(
            select(Order.id)
            .where(Order.id.in_(sorted({order_id for _, order_id, *_ in candidates})))
            .order_by(Order.id)
            .with_for_update()
        ).all()
    current = dict(
        session.execute(
            _RECHECK,
            {
                "order_ids": sorted({c[1] for c in candidates}),
                "line_ids": [c[0] for c in candidates],
            },
        ).all()
    )

    released = [c for c in candidates if c[0] in current]
    _write_release(
        session, released, current, trigger=trigger, run_id=run_id, actor=actor
    )

    return [
        LineRelease(
            order=number,
            warehouse=code,
            sku=sku,
            units=current.get(line_id, 0),
            status=RELEASED if line_id in current else SKIPPED,
            line_id=line_id,
            order_id=order_id,
            reason=""
            if line_id in current
            else "changed by another step; not released",
        )
        for line_id, order_id, _, _, _, number, code, sku in candidates
    ]


# Statements built once: this path runs inside every lifecycle hook.
_CANDIDATES = backordered_lines().where(
    Order.id.in_(bindparam("order_ids", expanding=True))
)

# A locking read sees the latest committed row on every backend,
# where a plain read inside a REPEATABLE READ transaction might not.
_RECHECK = (
    select(OrderLine.id, OrderLine.committed)
    .join(Order, Order.id == OrderLine.order_id)
    .where(
        # The order ids let planners start from the orders' primary key
        # (SQLite otherwise scanned every backordered order per batch).
        Order.id.in_(bindparam("order_ids", expanding=True)),
        OrderLine.id.in_(bindparam("line_ids", expanding=True)),
        is_releasable_line(),
    )
    .order_by(OrderLine.id)
    .with_for_update(of=OrderLine)
)


def _write_release(
    session: Session,
    released: list,  # type: ignore[type-arg]  # rows of backordered_lines()
    units_by_line: dict[int, int],
    *,
    trigger: Trigger,
    run_id: str,
    actor: str,
) -> None:
    if not released:
        return
    line_ids = [row[0] for row in released]
    session.execute(
        update(OrderLine)
        .where(OrderLine.id.in_(line_ids))
        .values(committed=0)
        .execution_options(synchronize_session=False)
    )

    by_stock: dict[StockKey, int] = defaultdict(int)
    by_order: dict[tuple[int, int, str], int] = defaultdict(int)
    for line_id, order_id, warehouse_id, product_id, _, number, _, _ in released:
        by_stock[(warehouse_id, product_id)] += units_by_line[line_id]
        by_order[(order_id, warehouse_id, number)] += units_by_line[line_id]
    adjust_committed_many(session, {key: -units for key, units in by_stock.items()})

    now = utcnow()
    # Core, not the ORM's bulk insert: one executemany without per-row ORM work.
    session.connection().execute(
        insert(ReleaseLog.__table__),
        [
            {
                "released_at": now,
                "warehouse_id": warehouse_id,
                "warehouse_code": code,
                "order_id": order_id,
                "order_number": number,
                "line_id": line_id,
                "sku": sku,
                "units": units_by_line[line_id],
                "trigger": trigger.value,
                "run_id": run_id,
                "actor": actor,
            }
            for line_id, order_id, warehouse_id, _, _, number, code, sku in released
        ],
    )
    activity.record_many(
        session,
        [
            {
                "kind": "commitment_released",
                "message": f"released {units} committed units of backordered order "
                f"{number} ({trigger.value}, run {run_id})",
                "warehouse_id": warehouse_id,
                "order_id": order_id,
            }
            for (order_id, warehouse_id, number), units in by_order.items()
        ],
        actor=actor,
    )
    log.info("run %s released %d lines (%s)", run_id, len(released), trigger.value)
