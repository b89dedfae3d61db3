"""The plugin object the host loads from the ``wms.plugins`` entry point.

Every hook implementation is registered here; the lifecycle ones and the
setting-change warning live in ``backorder_release.hooks``.
"""

from __future__ import annotations

import click
from wms.hookspecs import hookimpl
from wms.settings import SettingSpec

from backorder_release.commands import register_commands
from backorder_release.hooks.lifecycle import (
    wms_order_backordered,
    wms_qc_partial_confirmed,
)
from backorder_release.hooks.setting_change import wms_setting_change_warnings
from backorder_release.settings import RELEASE_SETTING

__all__ = [
    "wms_declare_settings",
    "wms_demo_steps",
    "wms_migration_locations",
    "wms_order_backordered",
    "wms_qc_partial_confirmed",
    "wms_register_commands",
    "wms_setting_change_warnings",
]


@hookimpl
def wms_declare_settings() -> list[SettingSpec]:
    return [RELEASE_SETTING]


@hookimpl
def wms_register_commands(cli: click.Group) -> None:
    register_commands(cli)


@hookimpl
def wms_migration_locations() -> list[str]:
    return ["backorder_release:migrations/versions"]


@hookimpl
def wms_demo_steps() -> list[tuple[str, list[str]]]:
    audit = "inventory:audit-backorder-commitments"
    release = "inventory:release-backorder-commitments"
    return [
        ("Audit: which products hold stock for backorders", [audit]),
        ("Dry-run: the per-order plan, nothing changes", [release]),
        ("Apply: release the backlog", [release, "--apply"]),
        ("Audit again: nothing left to release", [audit]),
        (
            "Switch the setting on, so new backorders release at once",
            ["settings", "set", RELEASE_SETTING.key, "true"],
        ),
    ]
