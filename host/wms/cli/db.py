"""``wms db``: schema management."""

from __future__ import annotations

import click

from wms import schema
from wms.runtime import Runtime, pass_runtime


@click.group("db")
def db_group() -> None:
    """Create or upgrade the database schema."""


@db_group.command("upgrade")
@pass_runtime
def upgrade(runtime: Runtime) -> None:
    """Apply the host's migrations and every installed plugin's branch."""
    locations = runtime.plugins.migration_locations()
    before = schema.schema_state(runtime.database, locations)
    if before.is_ahead:
        schema.ensure_current(runtime.database, locations, auto_upgrade=False)
    if before.is_current:
        click.echo("database schema is already up to date")
        return
    schema.upgrade(runtime.database, locations)
    click.echo(f"database schema upgraded to {', '.join(sorted(before.heads))}")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
