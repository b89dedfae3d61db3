"""Engines and transactions: one unit of work, retried when the database asks.

Every unit of work runs in its own transaction.  On SQLite a writing
transaction starts with ``BEGIN IMMEDIATE``, so the write lock is taken up
front instead of at the first write (the point where two deferred writers
deadlock).  On PostgreSQL and MariaDB row locks are taken with
``SELECT ... FOR UPDATE`` in the fixed order stock (warehouse, product), then
orders, then order lines by id (see ``wms.stock.lock_stock``).  A deadlock,
serialization failure or lock timeout that the database reports anyway rolls
the unit back and runs it again, a bounded number of times.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

from wms.errors import WmsError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_URL = "sqlite:///wms.db"
MAX_ATTEMPTS = 8

_PG_RETRYABLE = {"40P01", "40001", "55P03"}
_MYSQL_RETRYABLE = {1213, 1205}


class DatabaseUnavailable(Exception):
    """The database could not be reached, or kept refusing a unit of work."""


class BadDatabaseUrl(WmsError):
    """The database URL is malformed or names an unsupported driver."""


def is_retryable(error: DBAPIError) -> bool:
    """Whether the database rolled the transaction back for a reason worth retrying."""
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_RETRYABLE:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _MYSQL_RETRYABLE:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def create_wms_engine(url: str) -> Engine:
    """Create an engine for ``url``, with the transaction set-up each backend needs."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            _check_sqlite_url(parsed)
        engine = create_engine(parsed, **_engine_options(parsed.get_backend_name()))
    except (ArgumentError, ValueError) as exc:
        raise BadDatabaseUrl(
            f"cannot use database URL {_shown(url)}: {exc}; expected e.g. "
            "sqlite:///wms.db, postgresql+psycopg://user@host/db or "
            "mysql+pymysql://user@host/db"
        ) from exc
    except ImportError as exc:
        raise BadDatabaseUrl(
            f"the driver for {_shown(url)} is not installed ({exc.name}); install the "
            "matching extra, e.g. pip install 'wms-host[postgresql]'"
        ) from exc
    _install_begin_handler(engine)
    _install_connect_handler(engine, url)
    return engine


def _check_sqlite_url(parsed: URL) -> None:
    if parsed.database in (None, "", ":memory:"):
        raise ValueError("an in-memory SQLite database would vanish after the command")
    if parsed.query:
        # SQLAlchemy would ignore most of them with only a warning (and the
        # engine's own timeout overrides ?timeout=), so none would take effect.
        raise ValueError(
            f"a SQLite URL takes no options after '?' (got {', '.join(parsed.query)})"
        )


def _install_connect_handler(engine: Engine, url: str) -> None:
    """Report options in the URL that the driver refuses as a bad URL.

    The drivers check a URL's options only when they connect, and not always
    with their own error types: PyMySQL raises TypeError for an unknown option,
    AttributeError for an unknown charset and OSError for a missing ssl_ca
    file; psycopg raises ProgrammingError for an unknown or malformed option.
    """

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        dbapi = dialect.loaded_dbapi
        try:
            return dialect.connect(*cargs, **cparams)
        except dbapi.ProgrammingError as exc:
            raise _refused(url, exc) from exc
        except dbapi.Error:
            raise
        except (TypeError, ValueError, LookupError, AttributeError, OSError) as exc:
            raise _refused(url, exc) from exc


def _refused(url: str, error: Exception) -> BadDatabaseUrl:
    return BadDatabaseUrl(
        f"the database driver refused the options of {_shown(url)} "
        f"({_first_line(error)}); check the part of --database-url after '?'"
    )


def _shown(url: str) -> str:
    """The URL for a message, without its password."""
    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except (ArgumentError, ValueError):
        return repr(url)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _engine_options(backend: str) -> dict[str, Any]:
    if backend == "sqlite":
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _install_begin_handler(engine: Engine) -> None:
    backend = engine.dialect.name

    if backend == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when BEGIN is sent.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get("wms_read_only", False)
        if backend == "sqlite":
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
        elif backend == "postgresql" and read_only:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif backend in ("mysql", "mariadb") and read_only:
            conn.exec_driver_sql("START TRANSACTION READ ONLY")


def locks_rows(session: Session) -> bool:
    """Whether a writer must lock the rows it changes.

    Not on SQLite: a writing unit of work holds the whole database's write
    lock from ``BEGIN IMMEDIATE`` on, so no other writer can come between.
    """
    return session.get_bind().dialect.name != "sqlite"


class Database:
    """A database URL, its engine, and the way to run work against it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_wms_engine(url)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def run(
        self,
        work: Callable[[Session], T],
        *,
        read_only: bool = False,
        attempts: int = MAX_ATTEMPTS,
    ) -> T:
        """Run ``work(session)`` in one transaction, committing if it returns.

        A retryable failure rolls back and runs ``work`` again, so ``work``
        must not keep state between attempts.
        """
        for attempt in range(1, attempts + 1):
            try:
                return self._run_once(work, read_only)
            except DBAPIError as exc:
                if exc.connection_invalidated and attempt < attempts:
                    continue
                if not is_retryable(exc):
                    raise
                if attempt == attempts:
                    raise DatabaseUnavailable(
                        f"the database kept aborting the transaction after "
                        f"{attempts} attempts ({exc.orig}); try again when the "
                        "warehouse is less busy"
                    ) from exc
                log.info("retrying after %s (attempt %d)", exc.orig, attempt)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    def _run_once(self, work: Callable[[Session], T], read_only: bool) -> T:
        with self.engine.connect() as conn:
            conn = conn.execution_options(wms_read_only=read_only)
            with conn.begin(), Session(bind=conn) as session:
                result = work(session)
                session.flush()
                return result

    def dispose(self) -> None:
        self.engine.dispose()
