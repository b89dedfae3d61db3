"""Undo a run: re-commit exactly what it released, once.

A revert writes log rows of its own (trigger ``revert``, negative units, and
``reverts`` naming the run), so the log still sums to what is released now,
and a second revert of the same run finds every line already done.  A line
is re-committed only if it is as the release left it: still backordered,
holding nothing, with room for the units; anything else is drift, reported
and left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    String,
    and_,
    bindparam,
    exists,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.dml import Insert
from wms.db import locks_rows
from wms.errors import NotFound, WmsError
from wms.models import Order, OrderLine, utcnow
from wms.stock import lock_stock_rows

from backorder_release.backorders import BACKORDER_STATUSES
from backorder_release.models import ReleaseLog, Trigger
from backorder_release.release import (
    LOG_COLUMNS,
    PLANNED,
    SHIPPED_IN_FULL,
    SKIPPED,
    LineRelease,
    OrderRange,
    Released,
    locks_lines_in_insert,
    log_summary,
    move_stock_by_log,
    record_activity,
    stream,
)
from backorder_release.wording import plural

DRIFTED = "drifted"


def check_revertible(session: Session, run_id: str) -> None:
    """Refuse a run id that released nothing, or that is itself a revert."""
    triggers = set(
        session.scalars(
            select(ReleaseLog.trigger).where(ReleaseLog.run_id == run_id).distinct()
        )
    )
    if not triggers:
        raise NotFound(
            f"unknown run {run_id!r}: the release log has no rows for it (--apply "
            "prints its run id at the end; a run that changed nothing has none)"
        )
    if Trigger.REVERT in triggers:
        raise WmsError(
            f"run {run_id} is itself a revert; it cannot be reverted: "
            "release again instead"
        )


def plan_revert(session: Session, run_id: str) -> Iterator[LineRelease]:
    """Every line the run released: to re-commit, already reverted, or drifted."""
    released = aliased(ReleaseLog)
    stmt = (
        select(
            released.order_number,
            released.warehouse_code,
            released.sku,
            released.units,
            released.line_id,
            released.order_id,
            released.warehouse_id,
            _already_reverted(released),
            _released_again(released),
            Order.status,
            OrderLine.ordered,
            OrderLine.shipped,
            OrderLine.committed,
        )
        .join(OrderLine, OrderLine.id == released.line_id)
        .join(Order, Order.id == released.order_id)
        .where(released.run_id == run_id, released.units > 0)
        .order_by(released.id)
    )
    for row in stream(session, stmt):
        status, reason = _classify(row[3], *row[7:])
        yield LineRelease(
            order=row[0],
            warehouse=row[1],
            sku=row[2],
            units=row[3],
            status=status,
            reason=reason,
            line_id=row[4],
            order_id=row[5],
            warehouse_id=row[6],
        )


def _classify(
    units: int,
    reverted: bool,
    released_again: bool,
    status: str,
    ordered: int,
    shipped: int,
    committed: int,
) -> tuple[str, str]:
    """The same test as ``_revertible``, line by line, with the reason."""
    if reverted:
        return SKIPPED, "already reverted"
    if released_again:
        return DRIFTED, "released again since by a later run; revert that run"
    if status not in BACKORDER_STATUSES:
        return DRIFTED, f"order is {status} now, no longer backordered"
    if ordered <= shipped:
        return DRIFTED, SHIPPED_IN_FULL
    if committed:
        return DRIFTED, f"holds {plural(committed, 'committed unit')} again"
    if ordered - shipped < units:
        return DRIFTED, f"only {plural(ordered - shipped, 'unit')} outstanding now"
    return PLANNED, ""


def run_order_ids(
    session: Session, run_id: str, *, after: int, limit: int
) -> list[int]:
    """Ids of the orders a run released lines of, above ``after`` (keyset)."""
    stmt = (
        select(ReleaseLog.order_id)
        .where(ReleaseLog.run_id == run_id, ReleaseLog.order_id > after)
        .distinct()
        .order_by(ReleaseLog.order_id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def revert_orders(
    session: Session, reverted_run: str, orders: OrderRange, *, run_id: str, actor: str
) -> list[Released]:
    """Re-commit what ``reverted_run`` released in these orders, as run ``run_id``.

    Same shape as a release: lock stock rows then orders, write the log rows
    with an INSERT ... SELECT ... FOR UPDATE that locks the lines, then move
    the stock and the lines by those rows.  Summaries carry negative units.
    """
    released = aliased(ReleaseLog)
    revertible = _revertible(released, reverted_run, orders)
    if locks_rows(session) and not _lock(
        session, released, revertible, reverted_run, orders
    ):
        return []

    inserted = session.execute(
        _log_insert(
            released,
            revertible,
            reverted_run,
            run_id,
            actor,
            lock_lines=locks_lines_in_insert(session),
        )
    )
    if not inserted.rowcount:
        return []
    summaries = log_summary(session, run_id, orders)

    move_stock_by_log(session, run_id, orders)
    record_activity(
        session,
        summaries,
        kind="commitment_recommitted",
        verb="re-committed",
        note=f"revert of run {reverted_run}, run {run_id}",
        actor=actor,
    )
    session.execute(_RECOMMIT_LINES, {"run_id": run_id, **_range(orders)})
    return summaries


def _revertible(
    released: type[ReleaseLog], reverted_run: str, orders: OrderRange
) -> ColumnElement[bool]:
    """Condition on the run's log rows joined to their lines and orders."""
    return and_(
        released.run_id == reverted_run,
        released.units > 0,
        released.order_id.between(orders.first, orders.last),
        ~_already_reverted(released),
        ~_released_again(released),
        Order.status.in_(BACKORDER_STATUSES),
        OrderLine.committed == 0,
        OrderLine.ordered - OrderLine.shipped >= released.units,
    )


def _already_reverted(released: type[ReleaseLog]) -> ColumnElement[bool]:
    revert = aliased(ReleaseLog)
    return exists().where(
        revert.reverts == released.run_id, revert.line_id == released.line_id
    )


def _released_again(released: type[ReleaseLog]) -> ColumnElement[bool]:
    """A later run released the line again: what it holds now is that run's."""
    later = aliased(ReleaseLog)
    return exists().where(
        later.line_id == released.line_id, later.id > released.id, later.units > 0
    )


def _joined(released: type[ReleaseLog], *columns: Any) -> Select[Any]:
    """Select from a run's log rows joined to their lines and orders."""
    return (
        select(*columns)
        .select_from(released)
        .join(OrderLine, OrderLine.id == released.line_id)
        .join(Order, Order.id == released.order_id)
    )


def _lock(
    session: Session,
    released: type[ReleaseLog],
    revertible: ColumnElement[bool],
    reverted_run: str,
    orders: OrderRange,
) -> bool:
    """Lock the stock rows, then the orders, in the host's order; False if none."""
    stock_keys = _joined(released, Order.warehouse_id, OrderLine.product_id)
    keys = {
        tuple(key) for key in session.execute(stock_keys.where(revertible).distinct())
    }
    if not keys:
        return False
    lock_stock_rows(session, keys)
    run_orders = select(ReleaseLog.order_id).where(
        ReleaseLog.run_id == reverted_run,
        ReleaseLog.order_id.between(orders.first, orders.last),
    )
    session.execute(
        select(Order.id)
        .where(Order.id.in_(run_orders))
        .order_by(Order.id)
        .with_for_update()
    ).all()
    return True


def _log_insert(
    released: type[ReleaseLog],
    revertible: ColumnElement[bool],
    reverted_run: str,
    run_id: str,
    actor: str,
    *,
    lock_lines: bool,
) -> Insert:
    """INSERT a revert row (negative units) per revertible line, locking the lines."""
    source = (
        _joined(
            released,
            literal(utcnow(), DateTime),
            released.warehouse_id,
            released.warehouse_code,
            released.order_id,
            released.order_number,
            released.line_id,
            released.sku,
            -released.units,
            literal(Trigger.REVERT.value, String),
            literal(run_id, String),
            literal(actor, String),
            literal(reverted_run, String),
        )
        .where(revertible)
        .order_by(released.id)
    )
    if lock_lines:
        source = source.with_for_update(of=OrderLine)
    columns = [*LOG_COLUMNS, "reverts"]
    return insert(ReleaseLog.__table__).from_select(columns, source)


def _range(orders: OrderRange) -> dict[str, int]:
    return {"first": orders.first, "last": orders.last}


_RECOMMIT_LINES = (
    update(OrderLine)
    .where(
        OrderLine.id == ReleaseLog.line_id,
        ReleaseLog.order_id.between(bindparam("first"), bindparam("last")),
        ReleaseLog.run_id == bindparam("run_id"),
    )
    .values(committed=OrderLine.committed - ReleaseLog.units)
    .execution_options(synchronize_session=False)
)
