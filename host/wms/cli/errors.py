"""Turning failures into one line on stderr and a documented exit code.

Exit codes: 0 success, 1 a failure while running (database unreachable or
aborting), 2 bad usage or bad input (click's own usage errors and every
``WmsError``, which includes an output path that cannot be written).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from wms.db import DatabaseUnavailable
from wms.errors import WmsError

EXIT_RUNTIME = 1
EXIT_INPUT = 2


class InputError(click.ClickException):
    exit_code = EXIT_INPUT


class RuntimeFailure(click.ClickException):
    exit_code = EXIT_RUNTIME


class WmsGroup(click.Group):
    """The root group: every error becomes one line on stderr and an exit code."""

    def main(  # type: ignore[override]  # click types main() as NoReturn-ish
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"Error: {exc.format_message()}{hint}", err=True)
            sys.exit(EXIT_INPUT)
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_RUNTIME)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WmsError as exc:
            raise InputError(str(exc)) from exc
        except DatabaseUnavailable as exc:
            raise RuntimeFailure(str(exc)) from exc
        except OperationalError as exc:
            raise RuntimeFailure(
                f"cannot use the database: {_first_line(exc.orig)}; check "
                "--database-url and that the server is running"
            ) from exc
        except DBAPIError as exc:
            raise RuntimeFailure(f"database error: {_first_line(exc.orig)}") from exc


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
