"""The plugin's operator commands."""

from __future__ import annotations

import click

from backorder_release.commands.audit import audit_command
from backorder_release.commands.release import release_command


def register_commands(cli: click.Group) -> None:
    cli.add_command(audit_command)
    cli.add_command(release_command)
