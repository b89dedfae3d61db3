"""Which order lines are backordered: the one place that decides it.

A backordered line belongs to an order that is ``backordered`` or
``partially_shipped`` and still has outstanding units (DESIGN.md §4).  It is
*releasable* while it still holds committed units.  The audit, the release
plan, the hooks and the apply all select through these functions.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, select
from wms.models import Order, OrderLine, OrderStatus, Product, Warehouse

BACKORDER_STATUSES = (OrderStatus.BACKORDERED, OrderStatus.PARTIALLY_SHIPPED)


def is_backordered_line() -> ColumnElement[bool]:
    """SQL condition on ``sales_order`` and ``order_line`` for a backordered line."""
    return and_(
        Order.status.in_(BACKORDER_STATUSES),
        OrderLine.ordered > OrderLine.shipped,
    )


def is_releasable_line() -> ColumnElement[bool]:
    """A backordered line that still holds committed units."""
    return and_(is_backordered_line(), OrderLine.committed > 0)


def has_releasable_lines() -> ColumnElement[bool]:
    """SQL condition on ``sales_order``: the order has at least one releasable line.

    Written as EXISTS so an order-id range scan can use the order_line index
    instead of joining every line.
    """
    return (
        select(OrderLine.id)
        .where(OrderLine.order_id == Order.id, is_releasable_line())
        .exists()
    )


def backordered_lines(
    *,
    releasable: bool | None = True,
    warehouse_id: int | None = None,
    product_id: int | None = None,
    order_ids: list[int] | None = None,
) -> Select[tuple[int, int, int, int, int, str, str, str]]:
    """Backordered lines (id, order id, warehouse id, product id, committed,
    order number, warehouse code, SKU), ordered by order and line id.

    ``releasable`` True keeps the lines still holding commitments, False the
    ones that hold none (already released), None all of them.
    """
    stmt = (
        select(
            OrderLine.id,
            Order.id,
            Order.warehouse_id,
            OrderLine.product_id,
            OrderLine.committed,
            Order.number,
            Warehouse.code,
            Product.sku,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(is_backordered_line())
        .order_by(Order.id, OrderLine.id)
    )
    if releasable is not None:
        stmt = stmt.where(
            is_releasable_line() if releasable else OrderLine.committed == 0
        )
    if warehouse_id is not None:
        stmt = stmt.where(Order.warehouse_id == warehouse_id)
    if product_id is not None:
        stmt = stmt.where(OrderLine.product_id == product_id)
    if order_ids is not None:
        stmt = stmt.where(Order.id.in_(order_ids))
    return stmt
