"""Migrations: `wms db upgrade`, each branch up and down, models against migrations,
and a schema that is behind or ahead of the code (DESIGN.md §7).

Every test starts from an EMPTY, unmigrated database
(``databases.fresh_database(..., migrate=False)``) and empties it again when it
ends, so the shared server database never keeps a half-migrated schema or a
foreign revision; the next test that asks for ``db_url`` migrates it afresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import wms.models
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import CheckConstraint, MetaData, inspect, text
from wms import schema
from wms.cli import build_cli
from wms.db import Database
from wms.plugins import Plugins, make_plugin_manager

import backorder_release.models
from tests import databases
from tests.conftest import dump
from tests.helpers import AUDIT

HOST_TABLES = {
    "warehouse",
    "product",
    "stock",
    "sales_order",
    "order_line",
    "setting",
    "activity",
}
PLUGIN_TABLES = {"backorder_release_log"}
HOST_HEAD = "wms_0001"
PLUGIN_HEAD = "br_0002"
FUTURE_REVISION = "zz_9999_from_the_future"


def locations() -> list[str]:
    return Plugins(make_plugin_manager()).migration_locations()


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database; emptied again afterwards (servers)."""
    url = databases.fresh_database(backend, tmp_path, migrate=False)
    yield url
    # Leave no foreign revision or half schema behind for the next test: it
    # finds the server unmigrated and migrates it itself.
    databases.fresh_database(backend, tmp_path, migrate=False)


@pytest.fixture
def database(empty_url: str) -> Iterator[Database]:
    db = Database(empty_url)
    yield db
    db.dispose()


def wms_cli(url: str, *args: str) -> Result:
    """One ``wms`` invocation with a Runtime of its own (schema checked afresh)."""
    return CliRunner().invoke(
        build_cli(Plugins(make_plugin_manager())),
        ["--database-url", url, "--actor", "tester", *args],
    )


def tables(url: str) -> set[str]:
    with databases.connect(url) as conn:
        return set(inspect(conn).get_table_names())


def app_tables(url: str) -> set[str]:
    return tables(url) - {"alembic_version"}


def version_rows(url: str) -> set[str]:
    with databases.connect(url) as conn:
        return {
            row[0]
            for row in conn.execute(text("SELECT version_num FROM alembic_version"))
        }


def script_directory(db: Database) -> ScriptDirectory:
    return ScriptDirectory.from_config(schema.alembic_config(db, locations()))


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, (
        f"exit {result.exit_code}, stdout {result.stdout!r}, stderr {result.stderr!r}, "
        f"{result.exception!r}"
    )
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("Error:"), lines[0]
    assert result.stdout == "", f"unexpected stdout {result.stdout!r}"
    return lines[0]


def test_the_expected_tables_are_the_models_tables() -> None:
    """The literal table lists below are the models' (so they cannot drift apart)."""
    assert set(wms.models.Base.metadata.tables) == HOST_TABLES
    assert set(backorder_release.models.Base.metadata.tables) == PLUGIN_TABLES


# --- wms db upgrade -----------------------------------------------------------


def test_db_upgrade_creates_every_table_then_is_a_no_op(
    empty_url: str, database: Database
) -> None:
    assert app_tables(empty_url) == set()

    result = wms_cli(empty_url, "db", "upgrade")

    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "upgraded" in result.stdout
    assert tables(empty_url) == HOST_TABLES | PLUGIN_TABLES | {"alembic_version"}
    script = script_directory(database)
    heads = set(script.get_heads())
    assert heads == {HOST_HEAD, PLUGIN_HEAD}
    # Alembic keeps only the plugin's head in alembic_version: its branch
    # depends on the host's, so the host's head is implied by it.  What the table
    # holds must be heads only, and with what they depend on, cover every head.
    recorded = version_rows(empty_url)
    assert recorded and recorded <= heads, recorded
    applied = {
        rev.revision for rev in script.iterate_revisions(tuple(recorded), "base")
    }
    assert applied >= heads
    assert schema.schema_state(database, locations()).is_current

    # Some data, so that "changes nothing" is about rows too.
    assert wms_cli(empty_url, "warehouse", "add", "MAIN").exit_code == 0
    assert wms_cli(empty_url, "product", "add", "A").exit_code == 0
    before = dump(empty_url)

    again = wms_cli(empty_url, "db", "upgrade")

    assert again.exit_code == 0, (again.stdout, again.stderr, again.exception)
    assert "already up to date" in again.stdout
    assert again.stderr == ""
    assert dump(empty_url) == before
    assert version_rows(empty_url) == recorded


# --- every migration up and down ------------------------------------------------


def test_branches_upgrade_and_downgrade_cleanly(
    empty_url: str, database: Database
) -> None:
    locs = locations()
    schema.upgrade(database, locs)
    assert app_tables(empty_url) == HOST_TABLES | PLUGIN_TABLES
    assert wms_cli(empty_url, "warehouse", "add", "MAIN").exit_code == 0

    # The plugin's branch alone: the host's tables and rows stay.
    schema.downgrade(database, "backorder_release@base", locs)
    assert app_tables(empty_url) == HOST_TABLES
    assert version_rows(empty_url) == {HOST_HEAD}
    assert dump(empty_url)["warehouse"][0][1] == "MAIN"

    schema.upgrade(database, locs)
    assert app_tables(empty_url) == HOST_TABLES | PLUGIN_TABLES
    assert schema.schema_state(database, locs).is_current
    assert len(dump(empty_url)["warehouse"]) == 1

    schema.downgrade(database, "base", locs)
    assert app_tables(empty_url) == set()
    assert version_rows(empty_url) == set()

    schema.upgrade(database, locs)
    assert app_tables(empty_url) == HOST_TABLES | PLUGIN_TABLES
    assert schema.schema_state(database, locs).is_current


def test_every_revision_upgrades_and_downgrades_one_at_a_time(
    empty_url: str, database: Database
) -> None:
    """Walk every revision of every branch up one step at a time, then back down."""
    locs = locations()
    config = schema.alembic_config(database, locs)
    revisions = list(reversed(list(script_directory(database).walk_revisions())))
    assert {rev.revision for rev in revisions} >= {HOST_HEAD, PLUGIN_HEAD}

    for rev in revisions:
        command.upgrade(config, rev.revision)
        assert rev.revision in schema.schema_state(database, locs).applied, rev.revision
    assert schema.schema_state(database, locs).is_current
    assert app_tables(empty_url) == HOST_TABLES | PLUGIN_TABLES

    for rev in reversed(revisions):
        if rev.down_revision is None:
            (label,) = rev.branch_labels
            target = f"{label}@base"
        else:
            assert isinstance(rev.down_revision, str), (
                f"{rev.revision} is a merge revision: teach this test to step over it"
            )
            target = rev.down_revision
        command.downgrade(config, target)
        assert rev.revision not in schema.schema_state(database, locs).applied, (
            rev.revision
        )
    assert app_tables(empty_url) == set()
    assert version_rows(empty_url) == set()


# --- models against migrations -----------------------------------------------------


def model_metadata() -> MetaData:
    metadata = MetaData()
    for base in (wms.models.Base, backorder_release.models.Base):
        for table in base.metadata.tables.values():
            table.to_metadata(metadata)
    return metadata


def test_models_match_the_migrations(empty_url: str, database: Database) -> None:
    schema.upgrade(database, locations())
    metadata = model_metadata()
    assert set(metadata.tables) == HOST_TABLES | PLUGIN_TABLES

    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, metadata)
        # The comparison is live: leaving the plugin's models out is noticed.
        host_only = MetaData()
        for table in wms.models.Base.metadata.tables.values():
            table.to_metadata(host_only)
        missing = compare_metadata(context, host_only)

    assert differences == [], "\n".join(map(repr, differences))
    assert [(d[0], d[1].name) for d in missing if d[0] == "remove_table"] == [
        ("remove_table", "backorder_release_log")
    ]


def test_check_constraints_match_the_migrations(
    empty_url: str, database: Database
) -> None:
    """Autogenerate does not compare CHECK constraints; compare their names here."""
    schema.upgrade(database, locations())
    metadata = model_metadata()
    with database.engine.connect() as conn:
        inspector = inspect(conn)
        reflected = {
            name: {ck["name"] for ck in inspector.get_check_constraints(name)}
            for name in metadata.tables
        }
    modelled = {
        name: {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
        for name, table in metadata.tables.items()
    }
    assert modelled["stock"] == {
        "ck_stock_on_hand_not_negative",
        "ck_stock_committed_not_negative",
    }
    assert reflected == modelled


# --- schema behind or ahead of the code -------------------------------------------


def host_branch_only(db: Database) -> None:
    command.upgrade(schema.alembic_config(db, locations()), "wms@head")


def nothing(db: Database) -> None:
    """An empty database is behind too."""


@pytest.mark.parametrize(
    "command_args", [("stock", "show"), (AUDIT,)], ids=["stock-show", "audit"]
)
@pytest.mark.parametrize(
    "prepare", [host_branch_only, nothing], ids=["host-branch-only", "empty"]
)
def test_schema_behind(
    backend: str,
    empty_url: str,
    database: Database,
    prepare,
    command_args: tuple[str, ...],
) -> None:
    prepare(database)
    before_tables = tables(empty_url)
    before = dump(empty_url)
    if prepare is host_branch_only:
        assert app_tables(empty_url) == HOST_TABLES
        assert version_rows(empty_url) == {HOST_HEAD}

    result = wms_cli(empty_url, *command_args)

    if backend == "sqlite":
        # The embedded default upgrades itself and runs the command.
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        assert app_tables(empty_url) == HOST_TABLES | PLUGIN_TABLES
        assert schema.schema_state(database, locations()).is_current
        return

    line = one_error_line(result)
    assert "behind" in line, line
    assert "wms db upgrade" in line, line
    assert tables(empty_url) == before_tables
    assert dump(empty_url) == before

    # What the message says to do works.
    upgraded = wms_cli(empty_url, "db", "upgrade")
    assert upgraded.exit_code == 0, (
        upgraded.stdout,
        upgraded.stderr,
        upgraded.exception,
    )
    assert app_tables(empty_url) == HOST_TABLES | PLUGIN_TABLES
    after = wms_cli(empty_url, *command_args)
    assert after.exit_code == 0, (after.stdout, after.stderr, after.exception)


@pytest.mark.parametrize(
    "command_args",
    [("stock", "show"), (AUDIT,), ("db", "upgrade")],
    ids=["stock-show", "audit", "db-upgrade"],
)
def test_schema_ahead_is_refused(
    backend: str, empty_url: str, database: Database, command_args: tuple[str, ...]
) -> None:
    schema.upgrade(database, locations())
    with databases.connect(empty_url, begin=True) as conn:
        conn.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:rev)"),
            {"rev": FUTURE_REVISION},
        )
    before = dump(empty_url)

    result = wms_cli(empty_url, *command_args)

    # On every backend, SQLite included: nothing may downgrade or touch a
    # schema that a newer installation wrote.
    line = one_error_line(result)
    assert "newer" in line, line
    assert FUTURE_REVISION in line, line
    assert dump(empty_url) == before
