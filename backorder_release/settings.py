"""The plugin's one setting, off by default, overridable per warehouse."""

from __future__ import annotations

from sqlalchemy.orm import Session
from wms.settings import SettingSpec, resolve

RELEASE_SETTING = SettingSpec(
    key="inventory.release_backorder_commitments",
    type=bool,
    default=False,
    label="Release commitments for backordered items",
)


def release_enabled(session: Session, warehouse_id: int) -> bool:
    return bool(resolve(session, RELEASE_SETTING, warehouse_id))
