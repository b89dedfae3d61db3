"""Bad input: a one-line error, a documented exit code, and the data as it was (§6.6).

Exit 2 is bad usage or bad input; exit 1 is a failure while running (an
unreachable database).  Every case is a row of the README's bad-input
catalogue, which gives the error line it prints (``tests/catalogue.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from wms import schema
from wms.db import Database
from wms.plugins import Plugins, make_plugin_manager

from tests import databases
from tests.catalogue import assert_documented_error
from tests.conftest import Run
from tests.helpers import AUDIT, RELEASE, SETTING, assert_one_line_error

KEY = SETTING
FUTURE_REVISION = "zz_9999_from_the_future"


@pytest.fixture
def base(wms: Run, check: Callable[[], None]) -> Run:
    """MAIN with A and B; O1 picked (5 of 8), O2 placed, O3 backordered, O5 shipped."""
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("product", "add", "B")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "2")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    wms("order", "pick", "O1", "--line", "A=5")
    wms("order", "place", "O2", "--warehouse", "MAIN", "--line", "A=2")
    wms("order", "place", "O3", "--warehouse", "MAIN", "--line", "B=1")
    wms("order", "pick", "O3")
    wms("order", "place", "O5", "--warehouse", "MAIN", "--line", "B=2")
    wms("order", "pick", "O5", "--line", "B=2")
    wms("order", "qc", "O5", "--line", "B=2")
    wms("settings", "set", KEY, "false", "--warehouse", "MAIN")
    check()
    return wms


# --- what some cases set up first ----------------------------------------------------

Finish = Callable[[], None]
"""Run after the command: checks what the case left alone, undoes its set-up."""

Prepare = Callable[[Run, str, Path], Finish | None]
"""Set-up beyond ``base``, given the runner, the database URL and a temporary folder."""


def partly_shipped_order(run: Run, url: str, tmp: Path) -> None:
    """O4: 4 of C ordered, 1 shipped, 3 outstanding."""
    run("product", "add", "C")
    run("stock", "receive", "--warehouse", "MAIN", "--sku", "C", "--qty", "3")
    run("order", "place", "O4", "--warehouse", "MAIN", "--line", "C=4")
    run("order", "pick", "O4", "--line", "C=3")
    run("order", "qc", "O4", "--line", "C=1", "--confirm-partial")


def cancelled_order(run: Run, url: str, tmp: Path) -> None:
    run("order", "cancel", "O2")


def stock_at_the_limit(run: Run, url: str, tmp: Path) -> None:
    """B on hand at the servers' INTEGER range, 2,147,483,647."""
    for qty in ("1000000000", "1000000000", "147483647"):
        run("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", qty)


def text_file(run: Run, url: str, tmp: Path) -> Finish:
    """{tmp}/notes.txt, which must come out of the command untouched."""
    notes = tmp / "notes.txt"
    notes.write_bytes(b"not a database\n")

    def untouched() -> None:
        assert notes.read_bytes() == b"not a database\n"

    return untouched


def symlink_loop(run: Run, url: str, tmp: Path) -> None:
    (tmp / "loop-a.csv").symlink_to(tmp / "loop-b.csv")
    (tmp / "loop-b.csv").symlink_to(tmp / "loop-a.csv")


def schema_from_the_future(run: Run, url: str, tmp: Path) -> Finish:
    """A revision this code does not know, as a newer installation would leave."""
    with databases.connect(url, begin=True) as conn:
        conn.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:rev)"),
            {"rev": FUTURE_REVISION},
        )

    def forget() -> None:
        with databases.connect(url, begin=True) as conn:
            conn.execute(
                text("DELETE FROM alembic_version WHERE version_num = :rev"),
                {"rev": FUTURE_REVISION},
            )

    return forget


def schema_without_the_plugin(run: Run, url: str, tmp: Path) -> Finish:
    """The plugin's branch not yet applied, as after installing the plugin."""
    locations = Plugins(make_plugin_manager()).migration_locations()
    db = Database(url)
    schema.downgrade(db, "backorder_release@base", locations)

    def upgrade() -> None:
        schema.upgrade(db, locations)
        db.dispose()

    return upgrade


def plan_file(content: str) -> Prepare:
    """{tmp}/plan.json holding ``content``, for --plan."""

    def write(run: Run, url: str, tmp: Path) -> None:
        (tmp / "plan.json").write_text(content, encoding="utf-8")

    return write


def plan(**overrides: Any) -> str:
    document: dict[str, Any] = {
        "format": "backorder-release-plan",
        "version": 1,
        "lines": [PLAN_LINE],
    }
    document.update(overrides)
    return json.dumps(document)


def plan_line(**overrides: Any) -> str:
    return plan(lines=[{**PLAN_LINE, **overrides}])


PLAN_LINE = {"line_id": 1, "order": "O1", "warehouse": "MAIN", "sku": "A", "units": 3}


# --- the catalogue -----------------------------------------------------------------


@dataclass(frozen=True)
class BadInput:
    """One row of the catalogue: a command line and the exit code it must give.

    In ``args``, ``{tmp}`` is a temporary folder and ``{url}`` the test's
    database URL (naming it gives the command a fresh, unchecked connection).
    """

    id: str
    args: tuple[str, ...]
    code: int
    prepare: Prepare | None
    servers_only: bool

    def argv(self, tmp: Path, url: str) -> tuple[str, ...]:
        return tuple(
            a.replace("{tmp}", str(tmp)).replace("{url}", url) for a in self.args
        )


def case(
    id_: str,
    *args: str,
    code: int = 2,
    prepare: Prepare | None = None,
    servers_only: bool = False,
) -> Any:
    return pytest.param(BadInput(id_, args, code, prepare, servers_only), id=id_)


CASES = [
    # unknown warehouse / SKU / order
    case(
        "place-unknown-warehouse",
        "order",
        "place",
        "O9",
        "--warehouse",
        "NOPE",
        "--line",
        "A=1",
    ),
    case(
        "place-unknown-sku",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "ZZZ=1",
    ),
    case(
        "receive-unknown-warehouse",
        "stock",
        "receive",
        "--warehouse",
        "NOPE",
        "--sku",
        "A",
        "--qty",
        "1",
    ),
    case(
        "receive-unknown-sku",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "ZZZ",
        "--qty",
        "1",
    ),
    case("stock-show-unknown-warehouse", "stock", "show", "--warehouse", "NOPE"),
    case("stock-show-unknown-sku", "stock", "show", "--sku", "ZZZ"),
    case("show-unknown-order", "order", "show", "O404"),
    case("pick-unknown-order", "order", "pick", "O404", "--line", "A=1"),
    case("qc-unknown-order", "order", "qc", "O404", "--line", "A=1"),
    case("cancel-unknown-order", "order", "cancel", "O404"),
    case("activity-unknown-order", "activity", "--order", "O404"),
    case("pick-sku-not-on-order", "order", "pick", "O1", "--line", "B=1"),
    case(
        "qc-sku-not-on-order", "order", "qc", "O1", "--line", "B=1", "--confirm-partial"
    ),
    # malformed quantities
    case(
        "line-qty-not-a-number",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=x",
    ),
    case(
        "line-qty-negative",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=-1",
    ),
    case(
        "line-qty-fraction",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1.5",
    ),
    case(
        "line-without-equals",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A",
    ),
    case(
        "line-without-sku",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "=3",
    ),
    case(
        "line-qty-zero", "order", "place", "O9", "--warehouse", "MAIN", "--line", "A=0"
    ),
    case("place-without-lines", "order", "place", "O9", "--warehouse", "MAIN"),
    case("pick-qty-not-a-number", "order", "pick", "O1", "--line", "A=x"),
    case("qc-qty-negative", "order", "qc", "O1", "--line", "A=-1", "--confirm-partial"),
    case(
        "receive-qty-zero",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "A",
        "--qty",
        "0",
    ),
    case(
        "receive-qty-negative",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "A",
        "--qty",
        "-1",
    ),
    case(
        "receive-qty-not-a-number",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "A",
        "--qty",
        "x",
    ),
    case(
        "line-qty-with-underscore",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1_0",
    ),
    case(
        "receive-qty-with-underscore",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "A",
        "--qty",
        "1_0",
    ),
    case(
        "line-qty-beyond-64-bit",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        f"A={10**20}",
    ),
    case(
        "receive-qty-beyond-64-bit",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "A",
        "--qty",
        str(10**20),
    ),
    case(
        "line-qty-empty", "order", "place", "O9", "--warehouse", "MAIN", "--line", "A="
    ),
    case(
        "line-qty-with-plus-sign",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=+3",
    ),
    case(
        "line-qty-5000-digits",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=" + "9" * 5000,
    ),
    case(
        "line-qty-above-limit",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1000000001",
    ),
    case("pick-line-without-equals", "order", "pick", "O1", "--line", "A"),
    case("pick-qty-negative", "order", "pick", "O1", "--line", "A=-1"),
    case(
        "receive-qty-5000-digits",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "A",
        "--qty",
        "9" * 5000,
    ),
    case(
        "receive-qty-above-limit",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "A",
        "--qty",
        "1000000001",
    ),
    case(
        "receive-beyond-stock-limit",
        "stock",
        "receive",
        "--warehouse",
        "MAIN",
        "--sku",
        "B",
        "--qty",
        "1",
        prepare=stock_at_the_limit,
    ),
    # duplicates
    case(
        "duplicate-line-sku-place",
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
        "--line",
        "A=2",
    ),
    case(
        "duplicate-line-sku-pick",
        "order",
        "pick",
        "O1",
        "--line",
        "A=1",
        "--line",
        "A=1",
    ),
    case(
        "duplicate-line-sku-qc",
        "order",
        "qc",
        "O1",
        "--line",
        "A=1",
        "--line",
        "A=1",
        "--confirm-partial",
    ),
    case(
        "order-placed-twice",
        "order",
        "place",
        "O1",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
    ),
    case(
        "order-number-given-twice",
        "order",
        "place",
        "O9",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
    ),
    case(
        "order-number-empty",
        "order",
        "place",
        "",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
    ),
    case(
        "order-number-too-long",
        "order",
        "place",
        "X" * 65,
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
    ),
    case(
        "order-number-with-outer-spaces",
        "order",
        "place",
        " O9 ",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
    ),
    case(
        "order-number-with-newline",
        "order",
        "place",
        "O\n9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
    ),
    case("warehouse-added-twice", "warehouse", "add", "MAIN"),
    case("product-added-twice", "product", "add", "A"),
    case("product-code-with-outer-space", "product", "add", " C"),
    # codes and names
    case("warehouse-code-empty", "warehouse", "add", ""),
    case("warehouse-code-too-long", "warehouse", "add", "W" * 65),
    case("warehouse-code-with-trailing-newline", "warehouse", "add", "W2\n"),
    case("warehouse-name-with-newline", "warehouse", "add", "W2", "--name", "West\nDC"),
    case("product-sku-too-long", "product", "add", "Y" * 65),
    case("product-sku-with-trailing-newline", "product", "add", "P1\n"),
    case("product-sku-ending-in-control-character", "product", "add", "P1\x1b"),
    case("product-name-too-long", "product", "add", "C", "--name", "n" * 201),
    # quantities that break the lifecycle
    case("pick-more-than-outstanding", "order", "pick", "O2", "--line", "A=3"),
    case(
        "pick-more-than-outstanding-partly-shipped",
        "order",
        "pick",
        "O4",
        "--line",
        "C=4",
        prepare=partly_shipped_order,
    ),
    case("pick-more-than-on-hand", "order", "pick", "O1", "--line", "A=6"),
    case(
        "qc-more-than-picked", "order", "qc", "O1", "--line", "A=6", "--confirm-partial"
    ),
    case(
        "qc-nothing-packed", "order", "qc", "O1", "--line", "A=0", "--confirm-partial"
    ),
    case("qc-order-not-picked", "order", "qc", "O2", "--line", "A=2"),
    case("qc-partial-not-confirmed", "order", "qc", "O1", "--line", "A=4"),
    case("qc-backordered-order", "order", "qc", "O3", "--line", "B=1"),
    case(
        "qc-partly-shipped-order",
        "order",
        "qc",
        "O4",
        "--line",
        "C=1",
        prepare=partly_shipped_order,
    ),
    case("pick-shipped-order", "order", "pick", "O5", "--line", "B=1"),
    case("cancel-shipped-order", "order", "cancel", "O5"),
    case("cancel-cancelled-order", "order", "cancel", "O2", prepare=cancelled_order),
    # settings
    case("setting-unknown-key-set", "settings", "set", "no.such.key", "true"),
    case("setting-unknown-key-get", "settings", "get", "no.such.key"),
    case("setting-key-empty", "settings", "set", "", "true"),
    case("setting-key-wrong-case", "settings", "set", KEY.upper(), "true"),
    case("setting-value-empty", "settings", "set", KEY, ""),
    case("setting-set-without-value", "settings", "set", KEY),
    case("setting-wrong-type", "settings", "set", KEY, "maybe"),
    case(
        "setting-wrong-type-for-warehouse",
        "settings",
        "set",
        KEY,
        "2",
        "--warehouse",
        "MAIN",
    ),
    case(
        "setting-unknown-warehouse-set",
        "settings",
        "set",
        KEY,
        "true",
        "--warehouse",
        "NOPE",
    ),
    case(
        "setting-unknown-warehouse-get", "settings", "get", KEY, "--warehouse", "NOPE"
    ),
    # the plugin's commands
    case("audit-unknown-sku", AUDIT, "--sku", "ZZZ"),
    case("audit-unknown-warehouse", AUDIT, "--warehouse", "NOPE"),
    case(
        "audit-csv-in-missing-directory", AUDIT, "--csv", "{tmp}/no-such-dir/audit.csv"
    ),
    case("audit-csv-is-a-directory", AUDIT, "--csv", "{tmp}"),
    case(
        "audit-csv-under-a-file",
        AUDIT,
        "--csv",
        "{tmp}/notes.txt/audit.csv",
        prepare=text_file,
    ),
    case("audit-csv-name-too-long", AUDIT, "--csv", "{tmp}/" + "x" * 300 + ".csv"),
    case(
        "audit-csv-symlink-loop",
        AUDIT,
        "--csv",
        "{tmp}/loop-a.csv",
        prepare=symlink_loop,
    ),
    case("audit-limit-negative", AUDIT, "--limit", "-1"),
    case("audit-unknown-format", AUDIT, "--format", "xml"),
    case("release-unknown-order", RELEASE, "--order", "O404"),
    case("release-unknown-order-apply", RELEASE, "--apply", "--order", "O404"),
    case("release-unknown-warehouse", RELEASE, "--warehouse", "NOPE"),
    case("release-unknown-warehouse-apply", RELEASE, "--apply", "--warehouse", "NOPE"),
    case("release-batch-size-zero", RELEASE, "--apply", "--batch-size", "0"),
    case("release-batch-size-not-a-number", RELEASE, "--apply", "--batch-size", "x"),
    case("release-batch-size-negative", RELEASE, "--apply", "--batch-size", "-5"),
    case("release-limit-negative", RELEASE, "--limit", "-1"),
    case("release-unknown-format", RELEASE, "--format", "csv"),
    # --- reviewed plans and reverts
    case("plan-file-missing", RELEASE, "--apply", "--plan", "{tmp}/nope.json"),
    case("plan-file-is-a-directory", RELEASE, "--apply", "--plan", "{tmp}"),
    *[
        case(
            id_,
            RELEASE,
            "--apply",
            "--plan",
            "{tmp}/plan.json",
            prepare=plan_file(content),
        )
        for id_, content in (
            ("plan-file-not-json", "{not json"),
            ("plan-file-not-a-plan", json.dumps({"lines": []})),
            ("plan-file-newer-version", plan(version=2)),
            ("plan-lines-not-a-list", plan(lines={})),
            ("plan-units-zero", plan_line(units=0)),
            ("plan-units-negative", plan_line(units=-3)),
            ("plan-units-true", plan_line(units=True)),
            ("plan-units-as-text", plan_line(units="3")),
            ("plan-line-id-missing", plan_line(line_id=None)),
            ("plan-sku-not-text", plan_line(sku=7)),
            ("plan-line-listed-twice", plan(lines=[PLAN_LINE, PLAN_LINE])),
        )
    ],
    case("plan-out-with-apply", RELEASE, "--apply", "--plan-out", "{tmp}/p.json"),
    case("plan-out-in-missing-directory", RELEASE, "--plan-out", "{tmp}/no/p.json"),
    case("plan-with-order", RELEASE, "--plan", "{tmp}/p.json", "--order", "O1"),
    case("plan-with-revert", RELEASE, "--plan", "{tmp}/p.json", "--revert", "abc"),
    case("revert-with-warehouse", RELEASE, "--revert", "abc", "--warehouse", "MAIN"),
    case("revert-unknown-run", RELEASE, "--revert", "abc123", "--apply"),
    case("revert-malformed-run-id", RELEASE, "--revert", "nope;--", "--apply"),
    case("release-batch-size-too-large", RELEASE, "--apply", "--batch-size", "9" * 20),
    # the activity feed
    case("activity-limit-negative", "activity", "--limit", "-1"),
    case("activity-limit-not-a-number", "activity", "--limit", "ten"),
    # the database URL
    case("database-url-unknown-driver", "--database-url", "nope://", "stock", "show"),
    case("database-url-not-a-url", "--database-url", "not a url", "stock", "show"),
    case("database-url-empty", "--database-url", "", "stock", "show"),
    case(
        "database-url-bad-port",
        "--database-url",
        "postgresql+psycopg://wms@127.0.0.1:port/wms",
        "stock",
        "show",
    ),
    case(
        "database-url-in-memory", "--database-url", "sqlite://", "product", "add", "P3"
    ),
    case(
        "database-url-sqlite-options",
        "--database-url",
        "sqlite:///{tmp}/wms.db?mode=ro",
        "product",
        "add",
        "P3",
    ),
    case(
        "database-url-driver-not-installed",
        "--database-url",
        "oracle://wms@127.0.0.1:1/wms",
        "stock",
        "show",
    ),
    case(
        "database-url-unknown-option-mysql",
        "--database-url",
        "mysql+pymysql://wms@127.0.0.1:1/wms?colour=blue",
        "stock",
        "show",
    ),
    case(
        "database-url-unknown-charset-mysql",
        "--database-url",
        "mysql+pymysql://wms@127.0.0.1:1/wms?charset=klingon",
        "stock",
        "show",
    ),
    case(
        "database-url-unknown-option-postgresql",
        "--database-url",
        "postgresql+psycopg://wms@127.0.0.1:1/wms?colour=blue",
        "stock",
        "show",
    ),
    case(
        "database-url-unknown-driver-release",
        "--database-url",
        "nope://",
        RELEASE,
        "--apply",
    ),
    case(
        "database-unreachable-sqlite",
        "--database-url",
        "sqlite:///{tmp}/no-such-dir/wms.db",
        "stock",
        "show",
        code=1,
    ),
    case(
        "database-url-is-a-directory",
        "--database-url",
        "sqlite:///{tmp}",
        "stock",
        "show",
        code=1,
    ),
    case(
        "database-file-not-a-database",
        "--database-url",
        "sqlite:///{tmp}/notes.txt",
        "stock",
        "show",
        code=1,
        prepare=text_file,
    ),
    case(
        "database-unreachable-mysql",
        "--database-url",
        "mysql+pymysql://wms@127.0.0.1:1/wms",
        "order",
        "show",
        "O1",
        code=1,
    ),
    case(
        "database-unreachable-postgresql",
        "--database-url",
        "postgresql+psycopg://wms@127.0.0.1:1/wms",
        AUDIT,
        code=1,
    ),
    case(
        "schema-newer-than-code",
        "--database-url",
        "{url}",
        "stock",
        "show",
        prepare=schema_from_the_future,
    ),
    case(
        "db-upgrade-schema-newer",
        "--database-url",
        "{url}",
        "db",
        "upgrade",
        prepare=schema_from_the_future,
    ),
    case(
        "schema-older-than-code",
        "--database-url",
        "{url}",
        AUDIT,
        prepare=schema_without_the_plugin,
        servers_only=True,
    ),
    case("actor-too-long", "--actor", "x" * 201, "product", "add", "P2"),
    # usage
    case("unknown-command", "no-such-command"),
    case("unknown-format", "stock", "show", "--format", "xml"),
    case("unknown-option", "stock", "show", "--colour"),
    case("place-without-warehouse", "order", "place", "O9", "--line", "A=1"),
    case(
        "receive-without-qty", "stock", "receive", "--warehouse", "MAIN", "--sku", "A"
    ),
    case("order-show-without-number", "order", "show"),
    case("product-add-without-sku", "product", "add"),
    case("import-without-directory", "import"),
]


@pytest.mark.parametrize("bad", CASES)
def test_bad_input_is_refused_and_changes_nothing(
    base: Run,
    backend: str,
    db_url: str,
    snapshot: Callable[[], Any],
    tmp_path: Path,
    bad: BadInput,
) -> None:
    if bad.servers_only and backend == "sqlite":
        pytest.skip("SQLite brings its schema up to date itself (test_migrations.py)")
    finish = bad.prepare(base, db_url, tmp_path) if bad.prepare else None
    try:
        before = snapshot()

        result = base(*bad.argv(tmp_path, db_url), ok=False)

        assert_documented_error(result, bad.id, bad.code)
        assert snapshot() == before
    finally:
        if finish is not None:
            finish()


def test_unreachable_database_file_is_not_created(base: Run, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no-such-dir/wms.db"

    result = base(
        "--database-url",
        url,
        "order",
        "place",
        "O9",
        "--warehouse",
        "MAIN",
        "--line",
        "A=1",
        ok=False,
    )

    assert_one_line_error(result, 1)
    assert not (tmp_path / "no-such-dir").exists()


def test_failed_csv_export_leaves_no_file(base: Run, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "audit.csv").mkdir()  # the name is taken by a directory

    result = base(AUDIT, "--csv", str(target / "audit.csv"), ok=False)

    assert result.exit_code == 2
    assert [p.name for p in target.iterdir()] == ["audit.csv"]
