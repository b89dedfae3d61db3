"""Warn when the setting is switched on while old backorders still hold stock.

The setting only releases backorders created from then on; the backlog needs
the audit and the release command.  The numbers come from the same selection
the release plan uses, so the warning, the audit and ``--apply`` agree.
"""

from __future__ import annotations

import shlex
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wms.hookspecs import hookimpl
from wms.models import Warehouse

from backorder_release.audit import WarehouseBacklog, backlog_by_warehouse
from backorder_release.commands.audit import audit_command
from backorder_release.commands.release import release_command
from backorder_release.settings import RELEASE_SETTING, release_enabled

MAX_CODES_SHOWN = 5


@hookimpl
def wms_setting_change_warnings(
    session: Session, key: str, value: Any, warehouse_id: int | None
) -> list[str]:
    """Switched on where backordered lines still hold units: say how many."""
    if key != RELEASE_SETTING.key or not value:
        return []

    scope = _scope(session, warehouse_id)
    enabled = [w for w in scope if release_enabled(session, w)]
    backlog = backlog_by_warehouse(session, enabled)
    if not backlog:
        return []

    reaches_all = warehouse_id is None and len(enabled) == len(scope)
    return [f"{_held(backlog)}; {_next_steps(backlog, reaches_all)}"]


def _scope(session: Session, warehouse_id: int | None) -> list[int]:
    """Every warehouse for a global change, else the one that changed."""
    if warehouse_id is not None:
        return [warehouse_id]
    return list(session.scalars(select(Warehouse.id).order_by(Warehouse.id)))


def _held(backlog: list[WarehouseBacklog]) -> str:
    lines = sum(b.lines for b in backlog)
    units = sum(b.units for b in backlog)
    orders = sum(b.orders for b in backlog)
    verb = "holds" if lines == 1 else "hold"
    return (
        f"{_count(lines, 'backordered line')} of {_count(orders, 'order')} "
        f"in {_codes(backlog)} still {verb} {_count(units, 'committed unit')}"
    )


def _next_steps(backlog: list[WarehouseBacklog], reaches_all: bool) -> str:
    """Point to the audit and the release, kept to the warehouses concerned."""
    audit = f"wms {audit_command.name}"
    release = f"wms {release_command.name} --apply"
    if len(backlog) == 1:
        only = f" --warehouse {shlex.quote(backlog[0].warehouse)}"
        audit, release = audit + only, release + only
    if len(backlog) == 1 or reaches_all:
        how = f"release them with '{release}'"
    else:
        # Without --warehouse the release would also reach the warehouses
        # whose own override keeps the setting off.
        how = f"release them warehouse by warehouse with '{release} --warehouse CODE'"
    return (
        "the setting only releases new backorders. "
        f"Review them with '{audit}', then {how}."
    )


def _codes(backlog: list[WarehouseBacklog]) -> str:
    codes = [b.warehouse for b in backlog]
    if len(codes) <= MAX_CODES_SHOWN:
        return ", ".join(codes)
    hidden = len(codes) - MAX_CODES_SHOWN
    return f"{', '.join(codes[:MAX_CODES_SHOWN])} and {hidden} more warehouses"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
