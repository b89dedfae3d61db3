"""``wms settings``: plugin-declared keys, global or per warehouse."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms import activity, catalog
from wms import settings as settings_
from wms.models import Setting, Warehouse
from wms.output import echo_json, echo_table, format_option
from wms.runtime import Runtime, pass_runtime

warehouse_option = click.option(
    "--warehouse", "warehouse_code", help="Per-warehouse override (default: global)."
)


@click.group("settings")
def settings_group() -> None:
    """Read and change settings."""


@settings_group.command("set")
@click.argument("key")
@click.argument("value")
@warehouse_option
@pass_runtime
def set_(runtime: Runtime, key: str, value: str, warehouse_code: str | None) -> None:
    """Set KEY to VALUE, globally or for one warehouse.

    Plugins may warn about the new value (one line each on stderr); the
    value is stored all the same.
    """
    spec = runtime.settings.spec(key)

    def work(session: Session) -> tuple[Any, list[str]]:
        warehouse_id = _warehouse_id(session, warehouse_code)
        stored = settings_.store(session, spec, value, warehouse_id)
        scope = f"warehouse {warehouse_code}" if warehouse_code else "global"
        activity.record(
            session,
            "setting_changed",
            f"{key} set to {spec.render(stored)} ({scope})",
            actor=runtime.actor,
            warehouse_id=warehouse_id,
        )
        warnings = runtime.plugins.setting_change_warnings(
            session, key=key, value=stored, warehouse_id=warehouse_id
        )
        return stored, warnings

    stored, warnings = runtime.write(work)
    scope = f" for warehouse {warehouse_code}" if warehouse_code else " globally"
    click.echo(f"{key} = {spec.render(stored)}{scope}")
    for warning in warnings:
        click.echo("warning: " + " ".join(warning.splitlines()), err=True)


@settings_group.command("get")
@click.argument("key")
@warehouse_option
@format_option
@pass_runtime
def get(
    runtime: Runtime, key: str, warehouse_code: str | None, output_format: str
) -> None:
    """Show the effective value of KEY (the warehouse's, else global, else default)."""
    spec = runtime.settings.spec(key)
    value = runtime.read(
        lambda s: settings_.resolve(s, spec, _warehouse_id(s, warehouse_code))
    )
    if output_format == "json":
        echo_json({"key": key, "warehouse": warehouse_code, "value": value})
    else:
        click.echo(spec.render(value))


@settings_group.command("list")
@format_option
@pass_runtime
def list_(runtime: Runtime, output_format: str) -> None:
    """List every declared setting with its global value and warehouse overrides."""

    def work(session: Session) -> list[dict[str, Any]]:
        stored = session.execute(
            select(Setting.key, Warehouse.code, Setting.value).outerjoin(
                Warehouse, Warehouse.id == Setting.warehouse_id
            )
        ).all()
        rows = []
        for spec in runtime.settings:
            values = {
                code: spec.parse(value)
                for key, code, value in stored
                if key == spec.key
            }
            overrides = dict(sorted((c, v) for c, v in values.items() if c is not None))
            rows.append(
                {
                    "key": spec.key,
                    "label": spec.label,
                    "type": spec.type.__name__,
                    "default": spec.default,
                    "global": values.get(None, spec.default),
                    "overrides": overrides,
                }
            )
        return rows

    rows = runtime.read(work)
    if output_format == "json":
        echo_json(rows)
        return
    for row, spec in zip(rows, runtime.settings, strict=True):
        row["default"] = spec.render(row["default"])
        row["global"] = spec.render(row["global"])
        row["overrides"] = ", ".join(
            f"{c}={spec.render(v)}" for c, v in row["overrides"].items()
        )
    echo_table(
        rows,
        ["key", "type", "default", "global", "overrides", "label"],
        empty="no settings declared (no plugin installed)",
    )


def _warehouse_id(session: Session, code: str | None) -> int | None:
    return None if code is None else catalog.get_warehouse(session, code).id


def register(cli: click.Group) -> None:
    cli.add_command(settings_group)
