"""Hook specifications: the whole contract between the host and its plugins.

Lifecycle hooks are called inside the transaction that records the event,
within a savepoint: a plugin that raises has its own writes rolled back, the
host's event stands, and the failure is logged.  Hooks that only advise (the
setting-change warnings) run in a savepoint that is always rolled back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from sqlalchemy.orm import Session

    from wms.models import Order
    from wms.settings import SettingSpec

PROJECT = "wms"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def wms_declare_settings() -> list[SettingSpec]:
    """Return the setting keys this plugin owns, with type, default and label."""


@hookspec
def wms_register_commands(cli: click.Group) -> None:
    """Add the plugin's click commands to the ``wms`` group, once, at CLI build."""


@hookspec
def wms_migration_locations() -> list[str]:
    """Return Alembic version directories (``package:path``) of the plugin's branch."""


@hookspec
def wms_qc_partial_confirmed(session: Session, order: Order, actor: str) -> None:
    """Called after a confirmed partial pack has shipped, in the same transaction."""


@hookspec
def wms_order_backordered(session: Session, order: Order, actor: str) -> None:
    """Called after picking found nothing and the order became ``backordered``."""


@hookspec
def wms_setting_change_warnings(
    session: Session, key: str, value: Any, warehouse_id: int | None
) -> list[str]:
    """Return one-line warnings about ``key`` having just been set to ``value``.

    Called by ``wms settings set`` in its transaction, after the value is
    stored (``warehouse_id`` None for the global value), for every key.
    Read-only: whatever a plugin writes is rolled back.  The host prints each
    warning on stderr after ``warning: ``; the setting stays stored.
    """


@hookspec
def wms_demo_steps() -> list[tuple[str, list[str]]]:
    """Return (title, wms argv) steps the demo runs after loading its backlog."""
