"""The ``wms`` command line, built in a function so importing it does no work."""

from __future__ import annotations

import logging

import click

from wms.activity import check_actor
from wms.cli import (
    activity,
    db,
    demo,
    importer,
    order,
    product,
    settings,
    stock,
    warehouse,
)
from wms.cli.errors import WmsGroup
from wms.db import DEFAULT_URL
from wms.plugins import Plugins, make_plugin_manager
from wms.runtime import Runtime


def build_cli(plugins: Plugins | None = None) -> click.Group:
    """The ``wms`` group with the host's commands and every plugin's."""
    plugins = plugins or Plugins(make_plugin_manager())

    @click.group(cls=WmsGroup)
    @click.option(
        "--database-url",
        envvar="WMS_DATABASE_URL",
        default=DEFAULT_URL,
        show_default=True,
        help="SQLAlchemy URL of the warehouse database (env WMS_DATABASE_URL).",
    )
    @click.option(
        "--actor",
        default=None,
        help="Who is acting, recorded in the activity feed (default: the OS user).",
    )
    @click.option("-v", "--verbose", is_flag=True, help="Log what the library does.")
    @click.pass_context
    def cli(
        ctx: click.Context, database_url: str, actor: str | None, verbose: bool
    ) -> None:
        """A reference warehouse host: stock, orders, settings and plugins."""
        if verbose:
            logging.basicConfig(
                level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
            )
        if ctx.obj is None:
            ctx.obj = Runtime(plugins, database_url)
            ctx.call_on_close(ctx.obj.close)
        if actor:
            ctx.obj.actor = check_actor(actor)

    host_commands = (db, warehouse, product, stock, order, settings, activity)
    for module in (*host_commands, importer, demo):
        module.register(cli)
    plugins.pm.hook.wms_register_commands(cli=cli)
    return cli


def main() -> None:
    build_cli()(prog_name="wms")


if __name__ == "__main__":  # pragma: no cover
    main()
