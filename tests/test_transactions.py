"""Units of work (wms.db.Database.run): read-only transactions, deadlock retry,
retry exhaustion and the classification of retryable errors, each provoked for
real on SQLite, PostgreSQL and MariaDB (DESIGN.md §6.3 and §7).

What ``read_only=True`` means per backend:

* PostgreSQL: ``SET TRANSACTION READ ONLY``; MariaDB: ``START TRANSACTION READ
  ONLY``.  The database itself refuses any write, so the audit and a dry-run
  cannot change anything even by mistake.
* SQLite: a plain (deferred) ``BEGIN`` instead of the ``BEGIN IMMEDIATE`` of a
  writing unit.  The unit takes no write lock, so it never holds up a writer,
  and reads one consistent snapshot (WAL) from its first read.  SQLite does not
  refuse a write in it: "nothing changes" rests on the code there.

Threads only ever wait on events and barriers with a generous safety timeout so
that a broken product fails the test instead of hanging it; no assertion is
about how long anything took.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from wms import schema
from wms.db import MAX_ATTEMPTS, Database, DatabaseUnavailable, is_retryable
from wms.models import Product, Stock, Warehouse
from wms.plugins import Plugins, make_plugin_manager

from tests import databases
from tests.conftest import dump

SAFETY = 120  # seconds; only ever a guard against a hang, never asserted on
ADD = text("UPDATE stock SET on_hand = on_hand + :n WHERE id = :id")


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """The test's database, at head (a SQLite file starts empty)."""
    database = Database(db_url)
    schema.upgrade(database, Plugins(make_plugin_manager()).migration_locations())
    yield database
    database.dispose()


@pytest.fixture
def stock_ids(db: Database) -> tuple[int, int]:
    """Two stock rows of warehouse MAIN (products A and B), on hand 0."""

    def work(session: Session) -> tuple[int, int]:
        warehouse = Warehouse(code="MAIN", name="Main")
        a, b = Product(sku="A", name="A"), Product(sku="B", name="B")
        session.add_all([warehouse, a, b])
        session.flush()
        rows = [
            Stock(warehouse_id=warehouse.id, product_id=p.id, on_hand=0, committed=0)
            for p in (a, b)
        ]
        session.add_all(rows)
        session.flush()
        return rows[0].id, rows[1].id

    return db.run(work)


def on_hand(db: Database, *ids: int) -> list[int]:
    def work(session: Session) -> list[int]:
        return [
            session.execute(select(Stock.on_hand).where(Stock.id == id_)).scalar_one()
            for id_ in ids
        ]

    return db.run(work, read_only=True)


class Threads:
    """Run callables in threads; re-raise the first exception any of them raised."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.results: dict[str, Any] = {}

    def start(self, name: str, fn: Callable[[], Any]) -> None:
        def target() -> None:
            try:
                self.results[name] = fn()
            except BaseException as exc:  # reported by join(), whatever it is
                self.errors.append(exc)

        thread = threading.Thread(target=target, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self) -> dict[str, Any]:
        for thread in self.threads:
            thread.join(SAFETY)
            assert not thread.is_alive(), f"thread {thread.name} hung"
        if self.errors:
            raise self.errors[0]
        return self.results


def sqlite_path(url: str) -> str:
    database = make_url(url).database
    assert database
    return database


def sqlite_write(url: str, sql: str) -> None:
    """Write and commit through a plain sqlite3 connection that never waits for a lock."""
    conn = sqlite3.connect(sqlite_path(url), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


def raises_dbapi(fn: Callable[[], Any]) -> DBAPIError:
    with pytest.raises(DBAPIError) as info:
        fn()
    return info.value


def pg_sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def mysql_errno(error: DBAPIError) -> Any:
    return error.orig.args[0] if error.orig.args else None


# --- the audit's read-only transaction ------------------------------------------------


def test_read_only_unit(
    backend: str, db: Database, db_url: str, stock_ids: tuple[int, int]
) -> None:
    first, second = stock_ids
    if backend == "sqlite":
        _sqlite_read_only_takes_no_write_lock(db, db_url, first)
    else:
        _server_read_only_refuses_writes(backend, db, db_url, first)


def _server_read_only_refuses_writes(
    backend: str, db: Database, db_url: str, first: int
) -> None:
    before = dump(db_url)
    attempts: Counter[str] = Counter()

    def insert(session: Session) -> None:
        attempts["insert"] += 1
        session.execute(
            text("INSERT INTO warehouse (code, name) VALUES ('NEW', 'New')")
        )

    def update(session: Session) -> None:
        attempts["update"] += 1
        session.execute(ADD, {"n": 5, "id": first})

    for work in (insert, update):
        with pytest.raises(DBAPIError) as info:
            db.run(work, read_only=True)
        error = info.value
        # The database's own read-only refusal, reported as is, not retried.
        if backend == "postgresql":
            assert pg_sqlstate(error) == "25006", error  # read_only_sql_transaction
        else:
            assert mysql_errno(error) == 1792, (
                error
            )  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
        assert not isinstance(error, DatabaseUnavailable)
        assert not is_retryable(error)
    assert attempts == {"insert": 1, "update": 1}
    assert dump(db_url) == before

    # The same work in a writing unit goes through: the refusal came from read_only.
    db.run(insert)
    db.run(update)
    assert dump(db_url) != before
    assert on_hand(db, first) == [5]


def _sqlite_read_only_takes_no_write_lock(
    db: Database, db_url: str, first: int
) -> None:
    """A reader holds its (deferred) transaction open while another connection
    writes and commits; the writer never waits (timeout 0), so it would fail
    with 'database is locked' if the reader had taken the write lock."""
    threads = Threads()

    def work(session: Session) -> tuple[int, int]:
        seen_before = session.execute(
            select(Stock.on_hand).where(Stock.id == first)
        ).scalar_one()
        threads.start(
            "writer",
            lambda: sqlite_write(
                db_url, f"UPDATE stock SET on_hand = 7 WHERE id = {first}"
            ),
        )
        threads.join()
        seen_after = session.execute(
            select(Stock.on_hand).where(Stock.id == first)
        ).scalar_one()
        return seen_before, seen_after

    # The reader keeps its snapshot while the writer commits...
    assert db.run(work, read_only=True) == (0, 0)
    # ...and the write is there for the next unit.
    assert on_hand(db, first) == [7]


# --- deadlock retry -----------------------------------------------------------------


def test_opposite_lock_orders_both_complete(
    backend: str, db: Database, stock_ids: tuple[int, int]
) -> None:
    """Two units lock the same two rows in opposite orders: A adds 1 to each,
    B adds 10 to each.  Both must complete exactly once: 11 and 11."""
    if backend == "sqlite":
        attempts, seen_by_b = _sqlite_two_writers(db, stock_ids)
        # BEGIN IMMEDIATE: B could not start before A committed, so B saw
        # A's work whole, waited instead of failing, and nothing was retried.
        assert seen_by_b == [1, 1]
        assert attempts == {"A": 1, "B": 1}
    else:
        attempts, aborted = _server_deadlock(db, stock_ids)
        # A real deadlock: the database aborted one unit, Database.run ran it again.
        assert sorted(attempts.values()) == [1, 2], attempts
        assert len(aborted) == 1, aborted
        if backend == "postgresql":
            assert pg_sqlstate(aborted[0]) == "40P01", aborted[0]  # deadlock_detected
        else:
            assert mysql_errno(aborted[0]) == 1213, aborted[0]  # ER_LOCK_DEADLOCK
    assert on_hand(db, *stock_ids) == [11, 11]


def _server_deadlock(
    db: Database, stock_ids: tuple[int, int]
) -> tuple[Counter[str], list[DBAPIError]]:
    """Each unit counts its attempts and records the database error that
    aborted it (then lets it through to Database.run)."""
    first, second = stock_ids
    barrier = threading.Barrier(2)
    attempts: Counter[str] = Counter()
    aborted: list[DBAPIError] = []
    guard = threading.Lock()

    def unit(
        name: str, order: tuple[int, int], amount: int
    ) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            with guard:
                attempts[name] += 1
                attempt = attempts[name]
            try:
                session.execute(ADD, {"n": amount, "id": order[0]})
                if attempt == 1:
                    barrier.wait(SAFETY)  # both hold their first row lock
                session.execute(ADD, {"n": amount, "id": order[1]})
            except DBAPIError as exc:
                with guard:
                    aborted.append(exc)
                raise

        return work

    threads = Threads()
    threads.start("A", lambda: db.run(unit("A", (first, second), 1)))
    threads.start("B", lambda: db.run(unit("B", (second, first), 10)))
    threads.join()
    return attempts, aborted


def _sqlite_two_writers(
    db: Database, stock_ids: tuple[int, int]
) -> tuple[Counter[str], list[int]]:
    first, second = stock_ids
    a_holds_lock = threading.Event()
    b_is_starting = threading.Event()
    attempts: Counter[str] = Counter()

    def work_a(session: Session) -> None:
        attempts["A"] += 1
        session.execute(ADD, {"n": 1, "id": first})
        a_holds_lock.set()
        assert b_is_starting.wait(SAFETY)
        session.execute(ADD, {"n": 1, "id": second})

    def work_b(session: Session) -> list[int]:
        attempts["B"] += 1
        seen = [
            session.execute(select(Stock.on_hand).where(Stock.id == id_)).scalar_one()
            for id_ in (first, second)
        ]
        session.execute(ADD, {"n": 10, "id": second})
        session.execute(ADD, {"n": 10, "id": first})
        return seen

    def run_b() -> list[int]:
        b_is_starting.set()
        return db.run(work_b)

    threads = Threads()
    threads.start("A", lambda: db.run(work_a))
    assert a_holds_lock.wait(SAFETY)
    threads.start("B", run_b)
    results = threads.join()
    return attempts, results["B"]


# --- retry exhaustion -------------------------------------------------------------------


def test_retry_exhaustion_is_database_unavailable(
    backend: str, db: Database, db_url: str, stock_ids: tuple[int, int]
) -> None:
    first, _ = stock_ids
    attempts: Counter[str] = Counter()
    before = dump(db_url)

    if backend == "sqlite":
        # SQLite's serialization failure: a deferred unit that has read, then
        # sees another connection commit, cannot write; SQLite says 'database
        # is locked' at once (SQLITE_BUSY_SNAPSHOT), as waiting can never help.
        def work(session: Session) -> None:
            attempts["work"] += 1
            session.execute(select(Stock.on_hand).where(Stock.id == first)).scalar_one()
            sqlite_write(db_url, "UPDATE warehouse SET name = name || '+'")
            session.execute(ADD, {"n": 1, "id": first})

        with pytest.raises(DatabaseUnavailable) as info:
            db.run(work, read_only=True, attempts=2)
        before["warehouse"] = [
            (row[0], row[1], row[2] + "++") for row in before["warehouse"]
        ]  # the two commits of the other connection, and nothing else
    else:
        # Another connection holds the row lock for the whole test; every
        # attempt runs into a real lock timeout.
        def work(session: Session) -> None:
            attempts["work"] += 1
            if backend == "postgresql":
                session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            else:
                session.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            session.execute(ADD, {"n": 1, "id": first})

        with databases.connect(db_url) as blocker:
            blocker.execute(ADD, {"n": 100, "id": first})
            try:
                with pytest.raises(DatabaseUnavailable) as info:
                    db.run(work, attempts=2)
            finally:
                blocker.rollback()

    assert attempts["work"] == 2
    message = str(info.value)
    assert "after 2 attempts" in message, message
    assert "try again" in message, message
    cause = info.value.__cause__
    assert isinstance(cause, DBAPIError) and is_retryable(cause), repr(cause)
    if backend == "postgresql":
        assert pg_sqlstate(cause) == "55P03", cause  # lock_not_available
    elif backend == "mariadb":
        assert mysql_errno(cause) == 1205, cause  # lock wait timeout
    else:
        assert "database is locked" in str(cause.orig), cause
    assert dump(db_url) == before


def test_default_attempts_is_max_attempts(
    db: Database, stock_ids: tuple[int, int]
) -> None:
    """A unit that is never refused runs once, and the default budget is MAX_ATTEMPTS."""
    assert MAX_ATTEMPTS >= 2
    assert Database.run.__kwdefaults__["attempts"] == MAX_ATTEMPTS
    calls: Counter[str] = Counter()

    def work(session: Session) -> int:
        calls["work"] += 1
        session.execute(ADD, {"n": 3, "id": stock_ids[0]})
        return 42

    assert db.run(work) == 42
    assert calls["work"] == 1
    assert on_hand(db, stock_ids[0]) == [3]


# --- is_retryable with real errors ----------------------------------------------------------


def test_is_retryable_with_real_errors(
    backend: str, db: Database, db_url: str, stock_ids: tuple[int, int]
) -> None:
    if backend == "postgresql":
        retryable, not_retryable = _postgresql_errors(db, stock_ids)
    elif backend == "mariadb":
        retryable, not_retryable = _mariadb_errors(db, stock_ids)
    else:
        retryable, not_retryable = _sqlite_errors(db, db_url)

    wrong = {
        name: str(err.orig) for name, err in retryable.items() if not is_retryable(err)
    }
    assert wrong == {}, f"should be retried: {wrong}"
    wrong = {
        name: str(err.orig) for name, err in not_retryable.items() if is_retryable(err)
    }
    assert wrong == {}, f"should not be retried: {wrong}"


def _deadlock_error(db: Database, stock_ids: tuple[int, int]) -> DBAPIError:
    """Two connections lock two rows in opposite orders; one is the victim."""
    first, second = stock_ids
    barrier = threading.Barrier(2)
    errors: list[DBAPIError] = []

    def side(order: tuple[int, int]) -> None:
        with db.engine.connect() as conn:
            try:
                with conn.begin():
                    conn.execute(ADD, {"n": 1, "id": order[0]})
                    barrier.wait(SAFETY)
                    conn.execute(ADD, {"n": 1, "id": order[1]})
            except DBAPIError as exc:
                errors.append(exc)

    threads = Threads()
    threads.start("one", lambda: side((first, second)))
    threads.start("two", lambda: side((second, first)))
    threads.join()
    assert len(errors) == 1, errors
    return errors[0]


def _duplicate_warehouse(db: Database) -> DBAPIError:
    return raises_dbapi(
        lambda: db.run(
            lambda s: s.execute(
                text("INSERT INTO warehouse (code, name) VALUES ('MAIN', 'again')")
            )
        )
    )


def _read_only_write(db: Database) -> DBAPIError:
    return raises_dbapi(
        lambda: db.run(
            lambda s: s.execute(text("UPDATE warehouse SET name = 'x'")), read_only=True
        )
    )


def _postgresql_errors(
    db: Database, stock_ids: tuple[int, int]
) -> tuple[dict[str, DBAPIError], dict[str, DBAPIError]]:
    first, _ = stock_ids
    with db.engine.connect() as holder, db.engine.connect() as other:
        holder.execute(ADD, {"n": 1, "id": first})
        nowait = raises_dbapi(
            lambda: other.execute(
                text(f"SELECT id FROM stock WHERE id = {first} FOR UPDATE NOWAIT")
            )
        )
        other.rollback()
        other.execute(text("SET LOCAL lock_timeout = '200ms'"))
        timeout = raises_dbapi(lambda: other.execute(ADD, {"n": 1, "id": first}))
        other.rollback()
        holder.rollback()

    with db.engine.connect() as reader, db.engine.connect() as writer:
        reader.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        reader.execute(text(f"SELECT on_hand FROM stock WHERE id = {first}")).all()
        writer.execute(ADD, {"n": 1, "id": first})
        writer.commit()
        serialization = raises_dbapi(lambda: reader.execute(ADD, {"n": 1, "id": first}))
        reader.rollback()

    deadlock = _deadlock_error(db, stock_ids)
    check = raises_dbapi(
        lambda: db.run(lambda s: s.execute(text("UPDATE stock SET on_hand = -1")))
    )
    syntax = raises_dbapi(lambda: db.run(lambda s: s.execute(text("SELEC 1"))))
    duplicate = _duplicate_warehouse(db)
    read_only = _read_only_write(db)

    codes = {
        "nowait": (nowait, "55P03"),
        "lock_timeout": (timeout, "55P03"),
        "serialization": (serialization, "40001"),
        "deadlock": (deadlock, "40P01"),
        "check": (check, "23514"),
        "syntax": (syntax, "42601"),
        "duplicate": (duplicate, "23505"),
        "read_only": (read_only, "25006"),
    }
    assert {name: pg_sqlstate(err) for name, (err, _) in codes.items()} == {
        name: code for name, (_, code) in codes.items()
    }
    return (
        {
            "nowait": nowait,
            "lock_timeout": timeout,
            "serialization": serialization,
            "deadlock": deadlock,
        },
        {
            "check": check,
            "syntax": syntax,
            "duplicate": duplicate,
            "read_only": read_only,
        },
    )


def _mariadb_errors(
    db: Database, stock_ids: tuple[int, int]
) -> tuple[dict[str, DBAPIError], dict[str, DBAPIError]]:
    first, _ = stock_ids
    engine = create_engine(db.url, poolclass=NullPool)  # session settings die with it
    try:
        with engine.connect() as holder, engine.connect() as other:
            holder.execute(ADD, {"n": 1, "id": first})
            other.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            timeout = raises_dbapi(lambda: other.execute(ADD, {"n": 1, "id": first}))
            other.rollback()
            nowait = raises_dbapi(
                lambda: other.execute(
                    text(f"SELECT id FROM stock WHERE id = {first} FOR UPDATE NOWAIT")
                )
            )
            other.rollback()
            holder.rollback()
    finally:
        engine.dispose()

    deadlock = _deadlock_error(db, stock_ids)
    check = raises_dbapi(
        lambda: db.run(lambda s: s.execute(text("UPDATE stock SET on_hand = -1")))
    )
    syntax = raises_dbapi(lambda: db.run(lambda s: s.execute(text("SELEC 1"))))
    duplicate = _duplicate_warehouse(db)
    read_only = _read_only_write(db)

    codes = {
        "lock_timeout": (timeout, 1205),
        "nowait": (nowait, 1205),
        "deadlock": (deadlock, 1213),
        "check": (check, 4025),
        "syntax": (syntax, 1064),
        "duplicate": (duplicate, 1062),
        "read_only": (read_only, 1792),
    }
    assert {name: mysql_errno(err) for name, (err, _) in codes.items()} == {
        name: code for name, (_, code) in codes.items()
    }
    return (
        {"lock_timeout": timeout, "nowait": nowait, "deadlock": deadlock},
        {
            "check": check,
            "syntax": syntax,
            "duplicate": duplicate,
            "read_only": read_only,
        },
    )


def _sqlite_errors(
    db: Database, db_url: str
) -> tuple[dict[str, DBAPIError], dict[str, DBAPIError]]:
    # Another connection holds the write lock; a connection that does not
    # wait (timeout 0) asking for it is told 'database is locked' (SQLITE_BUSY).
    holder = sqlite3.connect(sqlite_path(db_url), isolation_level=None)
    impatient = create_engine(db_url, poolclass=NullPool, connect_args={"timeout": 0})
    try:
        holder.execute("BEGIN IMMEDIATE")
        with impatient.connect() as conn:
            busy = raises_dbapi(
                lambda: conn.execute(text("UPDATE warehouse SET name = 'x'"))
            )
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        impatient.dispose()

    # One connection drops a table while its own read of another is still
    # open: 'database table is locked' (SQLITE_LOCKED).
    with db.engine.connect() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE scratch (id INTEGER)")
        conn.exec_driver_sql("INSERT INTO warehouse (code, name) VALUES ('SECOND', '')")
        open_read = conn.exec_driver_sql("SELECT id FROM warehouse")
        table_locked = raises_dbapi(lambda: conn.exec_driver_sql("DROP TABLE scratch"))
        open_read.close()
        conn.rollback()

    check = raises_dbapi(
        lambda: db.run(lambda s: s.execute(text("UPDATE stock SET on_hand = -1")))
    )
    syntax = raises_dbapi(lambda: db.run(lambda s: s.execute(text("SELEC 1"))))
    duplicate = _duplicate_warehouse(db)
    missing = raises_dbapi(
        lambda: db.run(lambda s: s.execute(text("SELECT * FROM no_such_table")))
    )

    names = {
        "busy": (busy, "SQLITE_BUSY"),
        "table_locked": (table_locked, "SQLITE_LOCKED"),
        "check": (check, "SQLITE_CONSTRAINT_CHECK"),
        "syntax": (syntax, "SQLITE_ERROR"),
        "duplicate": (duplicate, "SQLITE_CONSTRAINT_UNIQUE"),
        "missing_table": (missing, "SQLITE_ERROR"),
    }
    assert {
        n: getattr(e.orig, "sqlite_errorname", None) for n, (e, _) in names.items()
    } == {n: code for n, (_, code) in names.items()}
    return (
        {"busy": busy, "table_locked": table_locked},
        {
            "check": check,
            "syntax": syntax,
            "duplicate": duplicate,
            "missing_table": missing,
        },
    )
