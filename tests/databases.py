"""Which databases the suite runs on, and a fresh, migrated database per test.

``WMS_TEST_DATABASES`` is a comma-separated list of ``sqlite``,
``postgresql`` and ``mariadb`` (default: ``sqlite``).  Server URLs come from
``WMS_TEST_POSTGRESQL_URL`` and ``WMS_TEST_MARIADB_URL``; their databases
are emptied before every test.  A server that is listed but unreachable fails
the run at start: it never silently skips.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from wms import schema
from wms.db import Database
from wms.plugins import Plugins, make_plugin_manager

DEFAULT_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/wms_test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/wms_test?charset=utf8mb4",
}
KNOWN = ("sqlite", "postgresql", "mariadb")


def selected_backends() -> list[str]:
    names = [
        name.strip().lower()
        for name in os.environ.get("WMS_TEST_DATABASES", "sqlite").split(",")
        if name.strip()
    ]
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise ValueError(
            f"WMS_TEST_DATABASES names unknown backends {unknown}; use {', '.join(KNOWN)}"
        )
    return names


def server_url(backend: str) -> str:
    return os.environ.get(f"WMS_TEST_{backend.upper()}_URL", DEFAULT_URLS[backend])


@functools.cache
def _server_engine(url: str) -> Engine:
    return create_engine(url)


@contextmanager
def connect(url: str, *, begin: bool = False) -> Iterator[Connection]:
    """A connection for the tests' own reads and clean-ups.

    Server engines are kept for the run (connecting to MariaDB costs tens of
    milliseconds of TLS set-up); a SQLite file gets a throwaway engine.
    """
    engine = (
        create_engine(url, poolclass=NullPool)
        if url.startswith("sqlite")
        else _server_engine(url)
    )
    with engine.begin() if begin else engine.connect() as conn:
        yield conn
    if url.startswith("sqlite"):
        engine.dispose()


def check_reachable(backend: str) -> str | None:
    """None if the server answers, else why not."""
    engine = create_engine(server_url(backend))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect is reported, whatever its type
        return f"{backend} at {server_url(backend)}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


_migrated: set[str] = set()
"""Servers whose test database is at head since this run emptied it."""


def fresh_database(backend: str, tmp_path: Path, *, migrate: bool = True) -> str:
    """The URL of an empty database (migrated to head unless ``migrate`` is False).

    A server database is migrated once per run and then only has its rows
    deleted between tests, unless a test asks for an unmigrated one.
    """
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'wms.db'}"

    url = server_url(backend)
    if migrate and backend in _migrated:
        _delete_rows(url)
        return url

    _empty(backend, url)
    _migrated.discard(backend)
    _tables.cache_clear()
    if migrate:
        db = Database(url)
        try:
            schema.upgrade(db, Plugins(make_plugin_manager()).migration_locations())
        finally:
            db.dispose()
        _migrated.add(backend)
    return url


def _delete_rows(url: str) -> None:
    """Delete every row but the schema version, children before parents."""
    with connect(url, begin=True) as conn:
        for table in reversed(_tables(url).sorted_tables):
            if table.name != "alembic_version":
                conn.execute(table.delete())


@functools.cache
def _tables(url: str) -> MetaData:
    metadata = MetaData()
    with connect(url) as conn:
        metadata.reflect(conn)
    return metadata


def _empty(backend: str, url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            else:
                name = make_url(url).database
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    finally:
        engine.dispose()
