"""The order lifecycle: place, pick, QC, cancel (DESIGN.md §4).

Each step locks in the fixed order (stock rows by warehouse and product, then
the order, then its lines by id), checks the request against the locked
rows, writes, records activity, and then fires the lifecycle hook in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from wms import activity
from wms.catalog import check_code
from wms.errors import (
    AlreadyExists,
    InvalidQuantity,
    InvalidTransition,
    NotFound,
    PartialNotConfirmed,
)
from wms.models import Order, OrderLine, OrderStatus, Product, Stock, Warehouse
from wms.stock import StockKey, adjust, lock_stock

if TYPE_CHECKING:
    from wms.plugins import Plugins


def place_order(
    session: Session,
    number: str,
    warehouse: Warehouse,
    lines: list[tuple[Product, int]],
    *,
    actor: str,
) -> Order:
    """Create an order whose lines commit their full quantity, stock or not."""
    check_code("order number", number)
    if not lines:
        raise InvalidQuantity(f"order {number} needs at least one --line SKU=QTY")
    _check_distinct(number, [product.sku for product, _ in lines])
    for product, qty in lines:
        if qty <= 0:
            raise InvalidQuantity(
                f"order {number}: quantity of {product.sku} must be at least 1, "
                f"not {qty}"
            )
    if session.scalar(select(Order.id).where(Order.number == number)):
        raise AlreadyExists(f"order {number} already exists")

    lock_stock(session, [(warehouse.id, product.id) for product, _ in lines])

    order = Order(number=number, warehouse_id=warehouse.id, status=OrderStatus.PLACED)
    order.lines = [
        OrderLine(
            product_id=product.id, ordered=qty, shipped=0, committed=qty, picked=0
        )
        for product, qty in lines
    ]
    session.add(order)
    session.flush()
    for product, qty in lines:
        adjust(session, (warehouse.id, product.id), committed=qty)

    activity.record(
        session,
        "order_placed",
        f"order {number} placed: {_describe(lines)}",
        actor=actor,
        warehouse_id=warehouse.id,
        order_id=order.id,
    )
    session.flush()
    return order


def pick_order(
    session: Session,
    plugins: Plugins,
    number: str,
    found: Mapping[str, int],
    *,
    actor: str,
) -> Order:
    """Record the units the picker found; all lines empty makes a backorder."""
    order, stock = _lock_order(session, number)
    _check_status(order, OrderStatus.PICKABLE, "picked")
    by_sku = _lines_by_sku(order, found)

    for sku, line in by_sku.items():
        qty = found.get(sku, 0)
        if qty > line.outstanding:
            raise InvalidQuantity(
                f"order {number}: found {qty} of {sku} but only "
                f"{line.outstanding} are outstanding"
            )
        on_hand = stock[(order.warehouse_id, line.product_id)].on_hand
        if qty > on_hand:
            raise InvalidQuantity(
                f"order {number}: found {qty} of {sku} but the warehouse has "
                f"only {on_hand} on hand; receive the stock first"
            )

    for sku, line in by_sku.items():
        qty = found.get(sku, 0)
        extra = max(0, qty - line.committed)
        line.committed += extra
        line.picked = qty
        adjust(session, (order.warehouse_id, line.product_id), committed=extra)

    if any(line.picked for line in order.lines):
        order.status = OrderStatus.PICKED
        activity.record(
            session,
            "order_picked",
            f"order {number} picked: {_describe_counts(order, 'picked')}",
            actor=actor,
            warehouse_id=order.warehouse_id,
            order_id=order.id,
        )
        session.flush()
        return order

    order.status = OrderStatus.BACKORDERED
    activity.record(
        session,
        "order_backordered",
        f"order {number} backordered: picking found nothing",
        actor=actor,
        warehouse_id=order.warehouse_id,
        order_id=order.id,
    )
    _fire(session, plugins, "wms_order_backordered", order, actor)
    return order


def qc_order(
    session: Session,
    plugins: Plugins,
    number: str,
    packed: Mapping[str, int],
    *,
    confirm_partial: bool,
    actor: str,
) -> Order:
    """Ship what QC packed; a partial pack needs the operator's confirmation."""
    order, stock = _lock_order(session, number)
    _check_status(order, (OrderStatus.PICKED,), "checked by QC")
    by_sku = _lines_by_sku(order, packed)

    for sku, line in by_sku.items():
        qty = packed.get(sku, 0)
        if qty > line.picked:
            raise InvalidQuantity(
                f"order {number}: QC packed {qty} of {sku} but only {line.picked} "
                "were picked"
            )
        on_hand = stock[(order.warehouse_id, line.product_id)].on_hand
        if qty > on_hand:
            raise InvalidQuantity(
                f"order {number}: QC packed {qty} of {sku} but the warehouse has "
                f"only {on_hand} on hand"
            )
    total_packed = sum(packed.get(sku, 0) for sku in by_sku)
    complete = all(
        packed.get(sku, 0) == line.outstanding for sku, line in by_sku.items()
    )
    if total_packed == 0:
        raise InvalidQuantity(
            f"order {number}: QC packed nothing; record the shortage with "
            f"'wms order pick {number}' instead"
        )
    if not complete and not confirm_partial:
        raise PartialNotConfirmed(
            f"order {number}: QC packed less than outstanding; confirm the partial "
            "shipment with --confirm-partial"
        )

    for sku, line in by_sku.items():
        qty = packed.get(sku, 0)
        line.shipped += qty
        line.committed -= qty
        line.picked = 0
        adjust(
            session, (order.warehouse_id, line.product_id), on_hand=-qty, committed=-qty
        )

    if complete:
        order.status = OrderStatus.SHIPPED
        activity.record(
            session,
            "order_shipped",
            f"order {number} shipped in full",
            actor=actor,
            warehouse_id=order.warehouse_id,
            order_id=order.id,
        )
        session.flush()
        return order

    order.status = OrderStatus.PARTIALLY_SHIPPED
    activity.record(
        session,
        "order_partially_shipped",
        f"order {number} partially shipped: {_describe_counts(order, 'shipped')}",
        actor=actor,
        warehouse_id=order.warehouse_id,
        order_id=order.id,
    )
    _fire(session, plugins, "wms_qc_partial_confirmed", order, actor)
    return order


def cancel_order(session: Session, number: str, *, actor: str) -> Order:
    """Cancel an open order, releasing every line's remaining commitment."""
    order, _ = _lock_order(session, number)
    _check_status(order, OrderStatus.OPEN, "cancelled")

    released = 0
    for line in order.lines:
        adjust(
            session, (order.warehouse_id, line.product_id), committed=-line.committed
        )
        released += line.committed
        line.committed = 0
        line.picked = 0
    order.status = OrderStatus.CANCELLED

    activity.record(
        session,
        "order_cancelled",
        f"order {number} cancelled; {released} committed units released",
        actor=actor,
        warehouse_id=order.warehouse_id,
        order_id=order.id,
    )
    session.flush()
    return order


def get_order(session: Session, number: str) -> Order:
    order = session.scalars(select(Order).where(Order.number == number)).first()
    if order is None:
        raise NotFound(
            f"unknown order {number!r}; check the number with 'wms order show'"
        )
    return order


def _lock_order(session: Session, number: str) -> tuple[Order, dict[StockKey, Stock]]:
    """Lock the order's stock rows, then the order, then its lines, in that order."""
    order = get_order(session, number)
    product_ids = session.scalars(
        select(OrderLine.product_id).where(OrderLine.order_id == order.id)
    ).all()

    stock = lock_stock(session, [(order.warehouse_id, p) for p in product_ids])
    session.scalars(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    lines = session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    set_committed_value(order, "lines", list(lines))
    return order, stock


def _check_status(order: Order, allowed: tuple[str, ...], verb: str) -> None:
    if order.status not in allowed:
        raise InvalidTransition(
            f"order {order.number} is {order.status} and cannot be {verb}"
        )


def _lines_by_sku(order: Order, quantities: Mapping[str, int]) -> dict[str, OrderLine]:
    by_sku = {line.product.sku: line for line in order.lines}
    for sku, qty in quantities.items():
        if sku not in by_sku:
            raise NotFound(f"SKU {sku!r} is not on order {order.number}")
        if qty < 0:
            raise InvalidQuantity(
                f"order {order.number}: quantity of {sku} must not be negative"
            )
    return by_sku


def _check_distinct(number: str, skus: list[str]) -> None:
    seen: set[str] = set()
    for sku in skus:
        if sku in seen:
            raise InvalidQuantity(
                f"order {number}: SKU {sku} is listed twice; give one --line per SKU"
            )
        seen.add(sku)


def _fire(
    session: Session, plugins: Plugins, hook_name: str, order: Order, actor: str
) -> None:
    failed = plugins.fire(session, hook_name, order=order, actor=actor)
    for line in order.lines:
        session.expire(line)
    session.expire(order)
    for plugin_name in failed:
        activity.record(
            session,
            "plugin_failed",
            f"plugin {plugin_name} failed in {hook_name} for order {order.number}; "
            "the event is recorded and its commitments are unchanged",
            actor=actor,
            warehouse_id=order.warehouse_id,
            order_id=order.id,
        )
    session.flush()


def _describe(lines: list[tuple[Product, int]]) -> str:
    return ", ".join(f"{product.sku}={qty}" for product, qty in lines)


def _describe_counts(order: Order, field: str) -> str:
    return ", ".join(
        f"{line.product.sku}={getattr(line, field)}" for line in order.lines
    )
