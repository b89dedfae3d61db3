"""Shared fixtures: a fresh database and a fresh CLI (plugin manager) per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, text
from wms.cli import build_cli
from wms.plugins import Plugins, make_plugin_manager
from wms.runtime import Runtime

from tests import databases, invariants

Run = Callable[..., Result]


BACKENDS = databases.selected_backends()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A server named in WMS_TEST_DATABASES must answer: never skip it silently."""
    problems = [
        problem
        for backend in BACKENDS
        if backend != "sqlite"
        for problem in [databases.check_reachable(backend)]
        if problem
    ]
    if problems:
        pytest.exit(
            "test database unreachable (WMS_TEST_DATABASES="
            f"{','.join(BACKENDS)}): " + "; ".join(problems),
            returncode=3,
        )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> str:
    """A fresh database: a new SQLite file, or an emptied and migrated server one."""
    return databases.fresh_database(backend, tmp_path)


def make_runner(db_url: str, plugins: Plugins) -> Run:
    """Invoke ``wms`` in-process, as a new command each time.

    Invocations share one Runtime, as the demo's steps do, so the engine and
    its compiled-statement cache live across the test; a call that names its
    own --database-url gets a Runtime of its own.
    """
    cli = build_cli(plugins)
    runner = CliRunner()
    shared = Runtime(plugins, db_url)

    def run(*args: str, ok: bool = True, input: str | None = None) -> Result:
        obj = None if "--database-url" in args else shared
        result = runner.invoke(
            cli,
            ["--database-url", db_url, "--actor", "tester", *args],
            input=input,
            obj=obj,
            prog_name="wms",
        )
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"wms {' '.join(args)} exited {result.exit_code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
            )
        return result

    return run


@pytest.fixture
def wms(db_url: str) -> Run:
    """Run ``wms`` with the installed plugins against this test's database."""
    return make_runner(db_url, Plugins(make_plugin_manager()))


@pytest.fixture
def make_wms() -> Callable[[Path], Run]:
    """Runners on extra SQLite databases, for tests that compare two of them."""
    plugins = Plugins(make_plugin_manager())
    return lambda path: make_runner(f"sqlite:///{path}.db", plugins)


@pytest.fixture
def host_only_url(tmp_path: Path) -> str:
    """A SQLite file of its own: a database carrying the plugin's branch is
    ahead of a host without the plugin."""
    return f"sqlite:///{tmp_path / 'host-only.db'}"


@pytest.fixture
def host_only(host_only_url: str) -> Run:
    """Run ``wms`` with no plugins at all: the host on its own."""
    return make_runner(
        host_only_url, Plugins(make_plugin_manager(load_entry_points=False))
    )


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for before/after comparisons."""
    with databases.connect(url) as conn:
        return {
            table: sorted(conn.execute(text(f"SELECT * FROM {table}")).all(), key=repr)
            for table in sorted(inspect(conn).get_table_names())
        }


@pytest.fixture
def snapshot(db_url: str) -> Callable[[], dict[str, list[tuple[Any, ...]]]]:
    return lambda: dump(db_url)


@pytest.fixture
def check(db_url: str) -> Iterator[Callable[[], None]]:
    """Check DESIGN.md §6 invariants on demand, and once more after the test."""
    checker = lambda: invariants.check(db_url)  # noqa: E731
    yield checker
    checker()
