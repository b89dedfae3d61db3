"""What every command needs: the plugins, the database, and who is acting.

Commands (the host's and the plugins') get it with ``@pass_runtime``.  The
database is opened on first use, so ``wms --help`` never touches it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
from sqlalchemy.engine import make_url

from wms import schema
from wms.activity import default_actor
from wms.db import MAX_ATTEMPTS, Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from wms.plugins import Plugins
    from wms.settings import SettingsRegistry

T = TypeVar("T")


class Runtime:
    def __init__(self, plugins: Plugins, database_url: str) -> None:
        self.plugins = plugins
        self.database_url = database_url
        self.actor = default_actor()
        self._schema_checked = False

    @cached_property
    def database(self) -> Database:
        return Database(self.database_url)

    @cached_property
    def settings(self) -> SettingsRegistry:
        return self.plugins.settings()

    def ready_database(self) -> Database:
        """The database, with its schema checked (and on SQLite, brought up to date)."""
        db = self.database
        if not self._schema_checked:
            schema.ensure_current(
                db,
                self.plugins.migration_locations(),
                auto_upgrade=db.backend == "sqlite",
            )
            self._schema_checked = True
        return db

    def database_files(self) -> list[Path]:
        """The files a SQLite database lives in, which no export may overwrite."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database:
            return []
        main = Path(url.database)
        return [
            main,
            main.with_name(main.name + "-wal"),
            main.with_name(main.name + "-shm"),
        ]

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one writing transaction, retried on deadlock."""
        return self.ready_database().run(work)

    def read(self, work: Callable[[Session], T], *, retry: bool = True) -> T:
        """Run ``work`` in one read-only transaction.

        ``retry=False`` for work that writes output as it reads: running it
        again would print its rows twice.
        """
        attempts = MAX_ATTEMPTS if retry else 1
        return self.ready_database().run(work, read_only=True, attempts=attempts)


pass_runtime = click.make_pass_decorator(Runtime)
