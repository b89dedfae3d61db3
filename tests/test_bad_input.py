"""Bad input: a one-line error, a documented exit code, and the data as it was (§6.6).

Exit 2 is bad usage or bad input; exit 1 is a failure while running (an
unreachable database).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run
from tests.helpers import AUDIT, RELEASE, SETTING, assert_one_line_error, stock_json

KEY = SETTING


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


def case(id_: str, *args: str, code: int = 2) -> Any:
    return pytest.param(args, code, id=id_)


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
    # quantities that break the lifecycle
    case("pick-more-than-outstanding", "order", "pick", "O2", "--line", "A=3"),
    case("pick-more-than-on-hand", "order", "pick", "O1", "--line", "A=6"),
    case(
        "qc-more-than-picked", "order", "qc", "O1", "--line", "A=6", "--confirm-partial"
    ),
    case(
        "qc-nothing-packed", "order", "qc", "O1", "--line", "A=0", "--confirm-partial"
    ),
    case("qc-order-not-picked", "order", "qc", "O2", "--line", "A=2"),
    case("pick-shipped-order", "order", "pick", "O5", "--line", "B=1"),
    case("cancel-shipped-order", "order", "cancel", "O5"),
    # settings
    case("setting-unknown-key-set", "settings", "set", "no.such.key", "true"),
    case("setting-unknown-key-get", "settings", "get", "no.such.key"),
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
    case("release-unknown-order", RELEASE, "--order", "O404"),
    case("release-unknown-order-apply", RELEASE, "--apply", "--order", "O404"),
    case("release-unknown-warehouse", RELEASE, "--warehouse", "NOPE"),
    case("release-unknown-warehouse-apply", RELEASE, "--apply", "--warehouse", "NOPE"),
    case("release-batch-size-zero", RELEASE, "--apply", "--batch-size", "0"),
    case("release-batch-size-not-a-number", RELEASE, "--apply", "--batch-size", "x"),
    # the database URL
    case("database-url-unknown-driver", "--database-url", "nope://", "stock", "show"),
    case("database-url-not-a-url", "--database-url", "not a url", "stock", "show"),
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
    # usage
    case("unknown-command", "no-such-command"),
    case("unknown-format", "stock", "show", "--format", "xml"),
]


@pytest.mark.parametrize(("args", "code"), CASES)
def test_bad_input_is_refused_and_changes_nothing(
    base: Run,
    snapshot: Callable[[], Any],
    tmp_path: Path,
    args: tuple[str, ...],
    code: int,
) -> None:
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    before = snapshot()

    result = base(*args, ok=False)

    assert_one_line_error(result, code)
    assert snapshot() == before


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


def test_database_file_that_is_not_a_database(base: Run, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"not a database\n")

    result = base("--database-url", f"sqlite:///{path}", "stock", "show", ok=False)

    assert_one_line_error(result, 1)
    assert path.read_bytes() == b"not a database\n"


def test_receive_beyond_the_integer_range_is_refused(
    base: Run, snapshot: Callable[[], Any]
) -> None:
    """Quantities are whole units: on_hand stops at the servers' INTEGER range."""
    for qty in ("1000000000", "1000000000", "147483647"):
        base("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", qty)
    before = snapshot()

    result = base(
        "stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "1", ok=False
    )

    assert_one_line_error(result, 2)
    assert snapshot() == before
    on_hand = [r["on_hand"] for r in stock_json(base) if r["sku"] == "B"]
    assert on_hand == [2**31 - 1]


def test_failed_csv_export_leaves_no_file(base: Run, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "audit.csv").mkdir()  # the name is taken by a directory

    result = base(AUDIT, "--csv", str(target / "audit.csv"), ok=False)

    assert result.exit_code == 2
    assert [p.name for p in target.iterdir()] == ["audit.csv"]


def test_error_names_the_bad_value(base: Run) -> None:
    result = base(
        "order", "place", "O9", "--warehouse", "NOPE", "--line", "A=1", ok=False
    )

    assert_one_line_error(result, 2)
    assert "NOPE" in result.stderr


def test_refused_partial_leaves_the_order_picked(base: Run) -> None:
    result = base("order", "qc", "O1", "--line", "A=5", ok=False)

    assert_one_line_error(result, 2)
    assert "O1" in result.stderr and "--confirm-partial" in result.stderr
