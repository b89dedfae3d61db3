"""The one release function, called by both hooks and the cleanup command.

Releasing a backordered line sets its committed units to 0, lowers the
stock's committed by the same amount, and logs one row per line.  Locks are
taken in the host's fixed order (stock rows by warehouse and product, then
orders, then lines), the lines by the very statement that logs them, so a
line that a concurrent step already released or re-picked is left alone,
never released twice.  Work goes by ranges of order ids, set-based: a
million lines cost a few statements per ten thousand orders.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from wms import activity
from wms.db import locks_rows
from wms.models import Order, OrderLine, Product, Warehouse, utcnow
from wms.stock import (
    adjust_committed_from,
    committed_update_from,
    lock_stock_rows,
    lock_stock_rows_of,
)

from backorder_release.backorders import (
    backordered_lines,
    has_releasable_lines,
    is_releasable_line,
)
from backorder_release.json_text import json_object_text
from backorder_release.models import ReleaseLog, Trigger
from backorder_release.wording import plural

log = logging.getLogger(__name__)

STREAM_ROWS = 2000

PLANNED = "planned"
RELEASED = "released"
SKIPPED = "skipped"
DRIFTED = "drifted"
"""A line of a reviewed plan, or of a run to revert, that changed since."""
REVERTED = "reverted"

SHIPPED_IN_FULL = "shipped in full since: nothing outstanding"
"""Why a planned or released line drifted although its order is still open."""


class LineRelease(NamedTuple):
    """One backordered line in a plan or a run, and what happened to it.

    A named tuple, not a dataclass: a run builds one per released line.
    """

    order: str
    warehouse: str
    sku: str
    units: int
    status: str
    reason: str
    line_id: int
    order_id: int
    warehouse_id: int

    def as_dict(self) -> dict[str, object]:
        return dict(zip(REPORT_COLUMNS, self, strict=False))


REPORT_COLUMNS = ("order", "warehouse", "sku", "units", "status", "reason")


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
    for line_id, order_id, warehouse_id, _, committed, number, code, sku in stream(
        session, stmt
    ):
        yield LineRelease(
            order=number,
            warehouse=code,
            sku=sku,
            units=committed,
            status=PLANNED if committed > 0 else SKIPPED,
            reason="" if committed > 0 else "nothing committed (already released)",
            line_id=line_id,
            order_id=order_id,
            warehouse_id=warehouse_id,
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


@dataclass(frozen=True)
class OrderRange:
    """The orders one release covers: ids ``first`` to ``last``, maybe one warehouse.

    A range, not a list of ids, keeps every statement of a batch at a few
    parameters however many orders it holds.
    """

    first: int
    last: int
    warehouse_id: int | None = None
    planned: tuple[tuple[int, int], ...] | None = None
    """With a reviewed plan: only these (line id, units) pairs may be released."""

    def params(self) -> dict[str, Any]:
        """Values for the statements ``_statements`` builds for this range."""
        params: dict[str, Any] = {"first": self.first, "last": self.last}
        if self.warehouse_id is not None:
            params["in_warehouse"] = self.warehouse_id
        if self.planned is not None:
            params["planned"] = list(self.planned)
        return params

    def statements(self) -> _Statements:
        return _statements(self.warehouse_id is not None, self.planned is not None)


class _Statements(NamedTuple):
    stock_keys: Select[Any]
    lock_orders: Select[Any]
    log_insert: Insert
    at_once: Select[Any]
    """PostgreSQL: the whole release in one statement (see ``_release_at_once``)."""


def locks_lines_in_insert(session: Session) -> bool:
    """Whether the logging INSERT ... SELECT locks the lines it reads itself.

    PostgreSQL: with FOR UPDATE OF order_line, the lines only.  MariaDB has
    no FOR UPDATE OF: a plain FOR UPDATE would also lock the warehouse and
    product rows it joins, which every new order's foreign-key check needs;
    there INSERT ... SELECT already reads its source rows with locking reads,
    and the order locks keep other writers off these lines.  SQLite holds
    the database's write lock.
    """
    return session.get_bind().dialect.name == "postgresql"


def releases_at_once(session: Session) -> bool:
    """Whether the database runs a release as one statement: PostgreSQL only.

    Only PostgreSQL can write to several tables in one statement (data-
    modifying WITH clauses); SQLite and MariaDB release step by step.
    """
    return session.get_bind().dialect.name == "postgresql"


@functools.cache
def _statements(by_warehouse: bool, by_plan: bool) -> _Statements:
    """The statements of a release, built once per shape of range.

    Built per call they cost more than running them: a lifecycle hook
    releases one order in a fraction of a millisecond of SQL.
    """
    in_range = Order.id.between(bindparam("first"), bindparam("last"))
    if by_warehouse:
        # Not "warehouse_id": SQLAlchemy reads an UPDATE's parameter named
        # after a column as a value to SET, and PostgreSQL's release
        # statement holds an UPDATE of stock.
        in_range = and_(in_range, Order.warehouse_id == bindparam("in_warehouse"))
    # The range on the lines too: planners do not carry it across the join,
    # and without it PostgreSQL read every order line for every batch.
    lines_in_range = OrderLine.order_id.between(bindparam("first"), bindparam("last"))
    releasable = and_(in_range, lines_in_range, is_releasable_line())
    if by_plan:
        planned = tuple_(OrderLine.id, OrderLine.committed)
        releasable = and_(releasable, planned.in_(bindparam("planned", expanding=True)))
    return _Statements(
        stock_keys=_lines(
            releasable, Order.warehouse_id, OrderLine.product_id
        ).distinct(),
        lock_orders=select(Order.id)
        .where(in_range, has_releasable_lines())
        .order_by(Order.id)
        .with_for_update(),
        log_insert=_log_insert(releasable),
        at_once=_release_statement(releasable),
    )


class Released(NamedTuple):
    """What one release did in one warehouse, read back from the log."""

    warehouse_id: int
    lines: int
    units: int
    orders: int
    first_order_id: int
    first_order: str


def release_orders(
    session: Session,
    orders: OrderRange,
    *,
    trigger: Trigger,
    run_id: str,
    actor: str,
    locked_by_caller: bool = False,
) -> list[Released]:
    """Release every releasable line of these orders, in the caller's transaction.

    The work is set-based.  One INSERT ... SELECT ... FOR UPDATE locks the
    releasable lines and writes a log row for each, in one snapshot; the
    stock and the lines are then changed from those log rows, never from a
    second look at the lines, which a step committing in between could have
    made releasable too.  So the log, the stock and the lines always agree.
    Returns one summary per warehouse.

    ``locked_by_caller`` says the caller already holds the stock, order and
    line locks (a lifecycle hook runs inside the host's locked step).
    """
    # Core on the session's connection, not the ORM's execute: its per-
    # statement work was most of a lifecycle hook's cost.  The ORM holds no
    # pending changes here (the host flushes before it fires a hook).
    statements = orders.statements()
    params = {
        **orders.params(),
        "released_at": utcnow(),
        "trigger": trigger.value,
        "run_id": run_id,
        "actor": actor,
    }
    if releases_at_once(session):
        released = _release_at_once(session, statements, params, locked_by_caller)
    else:
        released = _release_step_by_step(
            session, statements, params, orders, locked_by_caller
        )
    if not released:
        return []

    record_activity(
        session,
        released,
        kind="commitment_released",
        verb="released",
        note=f"{trigger.value}, run {run_id}",
        actor=actor,
    )
    log.info(
        "run %s released %d lines (%s)",
        run_id,
        sum(summary.lines for summary in released),
        trigger,
    )
    return released


def _release_at_once(
    session: Session,
    statements: _Statements,
    params: dict[str, Any],
    locked_by_caller: bool,
) -> list[Released]:
    """PostgreSQL: lock the stock rows, then release in one statement.

    That statement locks the orders and lines, writes the log rows, lowers
    the stock and zeroes the lines, all from the one set of rows it locked,
    and returns the per-warehouse summary.  Each line is read once instead
    of three times, which makes it nearly as cheap as the bare updates.
    """
    if not locked_by_caller and not lock_stock_rows_of(
        session, statements.stock_keys, params
    ):
        return []

    rows = session.connection().execute(statements.at_once, params)
    return [Released._make(row) for row in rows]


def _release_step_by_step(
    session: Session,
    statements: _Statements,
    params: dict[str, Any],
    orders: OrderRange,
    locked_by_caller: bool,
) -> list[Released]:
    """SQLite and MariaDB: log the lines, then move stock and lines by the log.

    The stock and the lines change by the log rows the INSERT wrote, never
    by a second look at the lines, which a step committing in between could
    have made releasable too.
    """
    if not locked_by_caller and locks_rows(session):
        if not _lock(session, statements, params):
            return []

    inserted = session.connection().execute(statements.log_insert, params)
    if not inserted.rowcount:
        return []
    run_id = params["run_id"]
    released = log_summary(session, run_id, orders)

    # A stock row the first read did not see is locked here, out of the
    # host's order; the deadlock that can cause is rare and retried.
    move_stock_by_log(session, run_id, orders)
    session.connection().execute(_ZERO_LINES, _run_range(run_id, orders))
    return released


def released_lines(
    session: Session,
    run_id: str,
    orders: OrderRange,
    *,
    limit: int | None = None,
    status: str = RELEASED,
) -> Iterator[LineRelease]:
    """The lines a run released (or re-committed) in these orders, from its
    log rows, streamed."""
    stmt = _run_lines(status)
    stmt = stmt.limit(limit) if limit is not None else stmt
    yield from map(LineRelease._make, stream(session, stmt, _run_range(run_id, orders)))


class RunTotals(NamedTuple):
    """What a run's log rows add up to; units are negative for a revert."""

    lines: int
    units: int
    orders: int


def run_totals(session: Session, run_id: str) -> RunTotals:
    lines, units, orders = session.execute(
        select(
            func.count(),
            cast(func.coalesce(func.sum(ReleaseLog.units), 0), Integer),
            func.count(ReleaseLog.order_id.distinct()),
        ).where(ReleaseLog.run_id == run_id)
    ).one()
    return RunTotals(lines, units, orders)


def released_json(
    session: Session, run_id: str, orders: OrderRange, *, status: str = RELEASED
) -> Iterator[str]:
    """The lines ``released_lines`` gives, each as the report's JSON object,
    written by the database."""
    params = _run_range(run_id, orders)
    yield from (text for (text,) in stream(session, _run_json(status), params))


def stream(
    session: Session, stmt: Select[Any], params: dict[str, object] | None = None
) -> Iterator[Row[Any]]:
    """Rows in constant memory, fetched many at a time.

    Core, not the ORM's execute, and partitions, not row by row: at a
    million lines both cost more than the query itself.
    """
    result = session.connection().execute(
        stmt.execution_options(yield_per=STREAM_ROWS), params
    )
    for partition in result.partitions():
        yield from partition


def log_summary(session: Session, run_id: str, orders: OrderRange) -> list[Released]:
    """Per warehouse: what this run's log rows in these orders add up to."""
    params = _run_range(run_id, orders)
    return [
        Released._make(row) for row in session.connection().execute(_SUMMARY, params)
    ]


def move_stock_by_log(session: Session, run_id: str, orders: OrderRange) -> None:
    """Lower each stock row's committed by this run's logged units in these orders.

    Units are negative on a revert's rows, so the same statement re-commits.
    """
    adjust_committed_from(session, _STOCK_DELTAS, _run_range(run_id, orders))


def _run_range(run_id: str, orders: OrderRange) -> dict[str, object]:
    return {"run_id": run_id, "first": orders.first, "last": orders.last}


# The order range comes first so planners walk this batch's rows through the
# order_id index, not every row the run has written so far through run_id.
_RUN_ROWS = (
    ReleaseLog.order_id.between(bindparam("first"), bindparam("last")),
    ReleaseLog.run_id == bindparam("run_id"),
)

_SUMMARY = (
    select(
        ReleaseLog.warehouse_id,
        func.count(),
        # MariaDB sums integers into DECIMAL.
        cast(func.sum(ReleaseLog.units), Integer),
        func.count(ReleaseLog.order_id.distinct()),
        func.min(ReleaseLog.order_id),
        func.min(ReleaseLog.order_number),
    )
    .where(*_RUN_ROWS)
    .group_by(ReleaseLog.warehouse_id)
)

_STOCK_DELTAS = (
    select(
        ReleaseLog.warehouse_id.label("warehouse_id"),
        OrderLine.product_id.label("product_id"),
        (-func.sum(ReleaseLog.units)).label("delta"),
    )
    .join(OrderLine, OrderLine.id == ReleaseLog.line_id)
    .where(*_RUN_ROWS)
    .group_by(ReleaseLog.warehouse_id, OrderLine.product_id)
)

# UPDATE ... FROM the log rows (a join), not WHERE id IN (subquery): on
# PostgreSQL the IN form scanned every order line once per batch.
_ZERO_LINES = (
    update(OrderLine)
    .where(OrderLine.id == ReleaseLog.line_id, *_RUN_ROWS)
    .values(committed=0)
    .execution_options(synchronize_session=False)
)


def _run_lines(status: str) -> Select[Any]:
    return (
        select(
            ReleaseLog.order_number,
            ReleaseLog.warehouse_code,
            ReleaseLog.sku,
            func.abs(ReleaseLog.units, type_=Integer),
            literal(status, String),
            literal("", String),
            ReleaseLog.line_id,
            ReleaseLog.order_id,
            ReleaseLog.warehouse_id,
        )
        .where(*_RUN_ROWS)
        .order_by(ReleaseLog.id)
    )


@functools.cache
def _run_json(status: str) -> Select[tuple[str]]:
    reported = _run_lines(status).selected_columns[: len(REPORT_COLUMNS)]
    return (
        select(json_object_text(list(zip(REPORT_COLUMNS, reported, strict=True))))
        .where(*_RUN_ROWS)
        .order_by(ReleaseLog.id)
    )


def _lines(releasable: ColumnElement[bool], *columns: Any) -> Select[Any]:
    """Select ``columns`` of the lines matching ``releasable``, with their orders."""
    return (
        select(*columns)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(releasable)
    )


def _lock(session: Session, statements: _Statements, params: dict[str, Any]) -> bool:
    """MariaDB: lock the stock rows, then the orders, in the host's order.

    False if there are none.  The INSERT ... SELECT that logs the lines
    reads them with locking reads.
    """
    keys = {tuple(key) for key in session.execute(statements.stock_keys, params)}
    if not keys:
        return False
    lock_stock_rows(session, keys)
    session.execute(statements.lock_orders, params).all()
    return True


LOG_COLUMNS = [
    "released_at",
    "warehouse_id",
    "warehouse_code",
    "order_id",
    "order_number",
    "line_id",
    "sku",
    "units",
    "trigger",
    "run_id",
    "actor",
]
"""The log columns a release fills, in the order its INSERT ... SELECT gives them."""


def _log_insert(releasable: ColumnElement[bool]) -> Insert:
    """INSERT one log row per releasable line, copying its codes and units."""
    source = _releasable_rows(releasable, *_log_values(*_copied()))
    return insert(ReleaseLog.__table__).from_select(LOG_COLUMNS, source)


def _copied() -> list[Any]:
    """What a log row copies from its line, order, warehouse and product,
    in LOG_COLUMNS order, named as there."""
    return [
        Order.warehouse_id,
        Warehouse.code.label("warehouse_code"),
        Order.id.label("order_id"),
        Order.number.label("order_number"),
        OrderLine.id.label("line_id"),
        Product.sku,
        OrderLine.committed.label("units"),
    ]


def _releasable_rows(releasable: ColumnElement[bool], *columns: Any) -> Select[Any]:
    """``columns`` of the releasable lines, their orders, warehouses and products,
    in the host's lock order (order, then line id)."""
    return (
        _lines(releasable, *columns)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .join(Product, Product.id == OrderLine.product_id)
        .order_by(Order.id, OrderLine.id)
    )


def _log_values(*copied: Any) -> list[Any]:
    """The values of LOG_COLUMNS: the copied line columns between the run's."""
    return [
        bindparam("released_at", type_=DateTime),
        *copied,
        bindparam("trigger", type_=String),
        bindparam("run_id", type_=String),
        bindparam("actor", type_=String),
    ]


def _release_statement(releasable: ColumnElement[bool]) -> Select[Any]:
    """PostgreSQL: one statement that releases the lines and sums them up.

    Its first WITH clause locks the orders and the lines (in order and line
    id order, as the host does) and is read once; the data-modifying
    clauses log, zero and lower stock from those rows, and the query
    returns the per-warehouse summary.  PostgreSQL runs every clause to
    completion even where the query does not read it.
    """
    copied = _copied()
    rows = (
        _releasable_rows(releasable, *copied, OrderLine.product_id)
        .with_for_update(of=[Order, OrderLine])
        .cte("releasable")
    )
    logged = (
        insert(ReleaseLog.__table__)
        .from_select(
            LOG_COLUMNS, select(*_log_values(*(rows.c[c.key] for c in copied)))
        )
        .cte("logged")
    )
    zeroed = (
        update(OrderLine)
        .where(OrderLine.id == rows.c.line_id)
        .values(committed=0)
        .cte("zeroed")
    )
    deltas = select(
        rows.c.warehouse_id,
        rows.c.product_id,
        (-func.sum(rows.c.units)).label("delta"),
    ).group_by(rows.c.warehouse_id, rows.c.product_id)
    lowered = committed_update_from(deltas).cte("lowered")
    return (
        select(
            rows.c.warehouse_id,
            func.count(),
            cast(func.sum(rows.c.units), Integer),
            func.count(rows.c.order_id.distinct()),
            func.min(rows.c.order_id),
            func.min(rows.c.order_number),
        )
        .group_by(rows.c.warehouse_id)
        .add_cte(logged, zeroed, lowered)
    )


def record_activity(
    session: Session,
    released: list[Released],
    *,
    kind: str,
    verb: str,
    note: str,
    actor: str,
) -> None:
    """One host activity entry per warehouse: the order's, if it was one order.

    The release log holds every line; a backfill of thousands of orders
    writes a few summaries instead of burying the host's feed.
    """
    entries: list[dict[str, object]] = []
    for summary in released:
        order_id = summary.first_order_id if summary.orders == 1 else None
        if order_id is not None:
            what = f"backordered order {summary.first_order}"
        else:
            what = f"{summary.lines} lines of {summary.orders} backordered orders"
        entries.append(
            {
                "kind": kind,
                "message": f"{verb} {plural(abs(summary.units), 'committed unit')} "
                f"of {what} ({note})",
                "warehouse_id": summary.warehouse_id,
                "order_id": order_id,
            }
        )
    activity.record_many(session, entries, actor=actor)
