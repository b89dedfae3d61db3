"""Showing data to people (aligned tables) and to programs (JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import click
from tabulate import tabulate

FORMATS = ("table", "json")

format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people, json for programs",
)


def echo_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    empty: str = "nothing to show",
) -> None:
    if not rows:
        click.echo(empty)
        return
    click.echo(
        tabulate(
            [[row[c] for c in columns] for row in rows],
            headers=list(columns),
            disable_numparse=True,
            numalign="right",
        )
    )


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
