"""Release a backorder's commitment in the transaction that creates it.

Both hooks do nothing unless the setting is on for the order's warehouse.
They run inside the host's savepoint: if a release fails, the host rolls back
our writes, keeps its event, and the commitment stays for the audit to find.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from wms.hookspecs import hookimpl
from wms.models import Order

from backorder_release.models import Trigger
from backorder_release.release import OrderRange, new_run_id, release_orders
from backorder_release.settings import release_enabled


@hookimpl
def wms_qc_partial_confirmed(session: Session, order: Order, actor: str) -> None:
    """QC shipped part of the order: release the unshipped units' commitment."""
    _release(session, order, Trigger.QC_PARTIAL, actor)


@hookimpl
def wms_order_backordered(session: Session, order: Order, actor: str) -> None:
    """Picking found nothing: release the whole order's commitment."""
    _release(session, order, Trigger.PICKING_BACKORDER, actor)


def _release(session: Session, order: Order, trigger: Trigger, actor: str) -> None:
    if not release_enabled(session, order.warehouse_id):
        return
    release_orders(
        session,
        OrderRange(order.id, order.id),
        trigger=trigger,
        run_id=new_run_id(),
        actor=actor,
        locked_by_caller=True,
    )
