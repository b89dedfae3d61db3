"""Loading an existing warehouse from CSV files, all or nothing.

Every row is validated first and every problem is reported at once (file,
line and reason); only a clean set of files is written, in one transaction.
Stock ``committed`` is never read from a file: it is the sum of the imported
lines' committed units, so the first invariant holds from the start.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wms import activity
from wms.catalog import InvalidCode, check_code, check_name
from wms.errors import ImportFailed, InvalidQuantity, WmsError
from wms.models import Order, OrderLine, OrderStatus, Product, Stock, Warehouse
from wms.stock import MAX_STOCK, MAX_UNITS, adjust, lock_stock, parse_units

COLUMNS = {
    "warehouses.csv": ("code", "name"),
    "products.csv": ("sku", "name"),
    "stock.csv": ("warehouse", "sku", "on_hand"),
    "orders.csv": ("number", "warehouse", "status"),
    "order_lines.csv": ("order", "sku", "ordered", "shipped", "committed"),
}
OPTIONAL_COLUMNS = {"name"}
CLOSED = (OrderStatus.SHIPPED, OrderStatus.CANCELLED)


@dataclass
class ImportData:
    """Validated rows, ready to write."""

    warehouses: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: dict[str, tuple[str, str]] = field(default_factory=dict)
    order_rows: dict[str, str] = field(default_factory=dict)
    ordered_in_lines: set[str] = field(default_factory=set)
    lines: list[tuple[str, str, int, int, int]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "warehouses": len(self.warehouses),
            "products": len(self.products),
            "stock": len(self.stock),
            "orders": len(self.orders),
            "order_lines": len(self.lines),
        }


class _Problems(list[str]):
    def add(self, where: str, reason: str) -> None:
        self.append(f"{where}: {reason}")


def import_directory(
    session: Session, directory: Path, *, actor: str
) -> dict[str, int]:
    """Validate every file in ``directory``, then load them all in this transaction."""
    data = read_directory(session, directory)
    _write(session, data)
    counts = data.counts()
    activity.record(
        session,
        "imported",
        f"imported from {directory}: "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items()),
        actor=actor,
    )
    return counts


def read_directory(session: Session, directory: Path) -> ImportData:
    """Read and validate the CSV files; raise ImportFailed listing every problem."""
    if not directory.is_dir():
        raise WmsError(f"{directory} is not a directory of import CSV files")
    present = [name for name in COLUMNS if _is_present(directory / name)]
    if not present:
        raise WmsError(
            f"no import files in {directory}; expected some of: {', '.join(COLUMNS)}"
        )

    problems = _Problems()
    data = ImportData()
    known = _existing_keys(session)
    readers = {
        "warehouses.csv": _read_warehouses,
        "products.csv": _read_products,
        "stock.csv": _read_stock,
        "orders.csv": _read_orders,
        "order_lines.csv": _read_lines,
    }
    for name, reader in readers.items():
        if name in present:
            reader(_rows(directory / name, problems), data, known, problems)
    _check_order_lines(data, problems)

    if problems:
        raise ImportFailed(list(problems))
    return data


def _is_present(path: Path) -> bool:
    """Anything under an import file's name counts, so a directory or a broken
    link there is reported as unreadable instead of silently skipped."""
    return path.exists() or path.is_symlink()


@dataclass
class _Known:
    warehouses: set[str]
    products: set[str]
    orders: set[str]
    stock: set[tuple[str, str]]


def _existing_keys(session: Session) -> _Known:
    stock = session.execute(
        select(Warehouse.code, Product.sku)
        .join(Stock, Stock.warehouse_id == Warehouse.id)
        .join(Product, Product.id == Stock.product_id)
    )
    return _Known(
        warehouses=set(session.scalars(select(Warehouse.code))),
        products=set(session.scalars(select(Product.sku))),
        orders=set(session.scalars(select(Order.number))),
        stock={(w, s) for w, s in stock},
    )


Row = tuple[str, int, dict[str, str]]


def _rows(path: Path, problems: _Problems) -> Iterator[Row]:
    """(where, line number, row) for each data row; header problems end the file."""
    name = path.name
    text = _read_text(path, problems)
    if text is None:
        return
    # strict: a quote left open at the end of the file is an error, not a field
    # that swallows the rest of the file.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        problem = _header_problem(name, reader.fieldnames or [])
        if problem:
            problems.add(name, problem)
            return
        for row in reader:
            where = f"{name} line {reader.line_num}"
            if None in row:
                problems.add(where, "more fields than columns")
                continue
            yield where, reader.line_num, {k: (v or "").strip() for k, v in row.items()}
    except csv.Error as exc:
        # The bad record starts on the line after the last good one.
        problems.add(
            f"{name} line {reader.line_num + 1}",
            f"not valid CSV ({exc}); check the quotes on this line",
        )


def _header_problem(name: str, header: Sequence[str]) -> str:
    """A required column that is missing, or a column read twice (which one counts?)."""
    missing = [
        c for c in COLUMNS[name] if c not in header and c not in OPTIONAL_COLUMNS
    ]
    if missing:
        return (
            f"missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(COLUMNS[name])}"
        )
    twice = [c for c in COLUMNS[name] if header.count(c) > 1]
    if twice:
        return f"column(s) {', '.join(twice)} appear more than once in the header"
    return ""


def _read_text(path: Path, problems: _Problems) -> str | None:
    """The file as text, or None with the line of the first byte that is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(path.name, f"cannot read ({exc.strerror})")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(
            f"{path.name} line {line}",
            f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r}); "
            "save the file as UTF-8",
        )
        return None


def _code(value: str, kind: str, where: str, problems: _Problems) -> str | None:
    try:
        return check_code(kind, value)
    except InvalidCode as exc:
        problems.add(where, str(exc))
        return None


def _count(
    value: str, column: str, where: str, problems: _Problems, most: int = MAX_UNITS
) -> int | None:
    try:
        return parse_units(value, column, most=most)
    except InvalidQuantity as exc:
        problems.add(where, str(exc))
        return None


def _name(
    row: dict[str, str], kind: str, where: str, problems: _Problems
) -> str | None:
    try:
        return check_name(kind, row.get("name", ""))
    except InvalidCode as exc:
        problems.add(where, str(exc))
        return None


# A row with a bad field still registers its key once the key itself is
# valid, so rows that refer to it are not reported a second time.


@dataclass(frozen=True)
class _MasterFile:
    """How a warehouses or products file names its key, in rows and messages."""

    column: str
    code_label: str
    noun: str
    name_label: str


_WAREHOUSES = _MasterFile("code", "warehouse code", "warehouse", "warehouse")
_PRODUCTS = _MasterFile("sku", "SKU", "SKU", "product")


def _read_warehouses(
    rows: Iterator[Row], data: ImportData, known: _Known, problems: _Problems
) -> None:
    _read_master(rows, _WAREHOUSES, data.warehouses, known.warehouses, problems)


def _read_products(
    rows: Iterator[Row], data: ImportData, known: _Known, problems: _Problems
) -> None:
    _read_master(rows, _PRODUCTS, data.products, known.products, problems)


def _read_master(
    rows: Iterator[Row],
    file: _MasterFile,
    new: dict[str, str],
    existing: set[str],
    problems: _Problems,
) -> None:
    """A unique code and an optional display name per row."""
    for where, _, row in rows:
        code = _code(row[file.column], file.code_label, where, problems)
        name = _name(row, file.name_label, where, problems)
        if code is None:
            continue
        if code in new or code in existing:
            problems.add(where, f"{file.noun} {code} is already defined")
            continue
        new[code] = name or code


def _read_stock(
    rows: Iterator[Row], data: ImportData, known: _Known, problems: _Problems
) -> None:
    for where, _, row in rows:
        warehouse, sku = row["warehouse"], row["sku"]
        on_hand = _count(row["on_hand"], "on_hand", where, problems, most=MAX_STOCK)
        ok = _refers(
            warehouse, data.warehouses, known.warehouses, "warehouse", where, problems
        )
        ok = _refers(sku, data.products, known.products, "SKU", where, problems) and ok
        if on_hand is None or not ok:
            continue
        if (warehouse, sku) in data.stock or (warehouse, sku) in known.stock:
            problems.add(where, f"stock of {sku} in {warehouse} is already defined")
            continue
        data.stock[(warehouse, sku)] = on_hand


def _read_orders(
    rows: Iterator[Row], data: ImportData, known: _Known, problems: _Problems
) -> None:
    for where, _, row in rows:
        number = _code(row["number"], "order number", where, problems)
        warehouse, status = row["warehouse"], row["status"]
        ok = _refers(
            warehouse, data.warehouses, known.warehouses, "warehouse", where, problems
        )
        if status not in OrderStatus.ALL:
            problems.add(
                where,
                f"unknown status {status!r}; use one of {', '.join(OrderStatus.ALL)}",
            )
            ok = False
        if number is None:
            continue
        if number in data.orders or number in known.orders:
            problems.add(where, f"order {number} is already defined")
            continue
        data.orders[number] = (warehouse, status)
        if ok:
            data.order_rows[number] = where


def _read_lines(
    rows: Iterator[Row], data: ImportData, known: _Known, problems: _Problems
) -> None:
    seen: set[tuple[str, str]] = set()
    for where, _, row in rows:
        number, sku = row["order"], row["sku"]
        data.ordered_in_lines.add(number)
        quantities = [
            _count(row[c], c, where, problems)
            for c in ("ordered", "shipped", "committed")
        ]
        ok = number in data.orders
        if not ok:
            problems.add(where, f"order {number!r} is not in orders.csv")
        ok = _refers(sku, data.products, known.products, "SKU", where, problems) and ok
        if (number, sku) in seen:
            problems.add(where, f"SKU {sku} appears twice on order {number}")
            continue
        seen.add((number, sku))
        ordered, shipped, committed = quantities
        if ordered is None or shipped is None or committed is None or not ok:
            continue
        reason = _line_problem(data.orders[number][1], ordered, shipped, committed)
        if reason:
            problems.add(where, reason)
            continue
        data.lines.append((number, sku, ordered, shipped, committed))


def _line_problem(status: str, ordered: int, shipped: int, committed: int) -> str:
    if ordered <= 0:
        return f"ordered must be at least 1, got {ordered}"
    if shipped + committed > ordered:
        return (
            f"shipped ({shipped}) + committed ({committed}) exceeds ordered ({ordered})"
        )
    if status in CLOSED and committed:
        return f"a {status} order cannot hold committed units ({committed})"
    if status == OrderStatus.SHIPPED and shipped != ordered:
        return f"a shipped order must have shipped all {ordered} units, not {shipped}"
    return ""


def _check_order_lines(data: ImportData, problems: _Problems) -> None:
    for number, where in data.order_rows.items():
        if number not in data.ordered_in_lines:
            problems.add(where, f"order {number} has no lines in order_lines.csv")


def _refers(
    key: str,
    new: dict[str, str],
    existing: set[str],
    kind: str,
    where: str,
    problems: _Problems,
) -> bool:
    if key in new or key in existing:
        return True
    problems.add(where, f"unknown {kind} {key!r}")
    return False


def _write(session: Session, data: ImportData) -> None:
    """Insert everything in bulk, then add the lines' commitments to stock."""
    if data.warehouses:
        session.execute(
            insert(Warehouse),
            [{"code": c, "name": n} for c, n in data.warehouses.items()],
        )
    if data.products:
        session.execute(
            insert(Product), [{"sku": s, "name": n} for s, n in data.products.items()]
        )
    warehouse_ids = dict(session.execute(select(Warehouse.code, Warehouse.id)).all())
    product_ids = dict(session.execute(select(Product.sku, Product.id)).all())

    if data.stock:
        session.execute(
            insert(Stock),
            [
                {
                    "warehouse_id": warehouse_ids[w],
                    "product_id": product_ids[s],
                    "on_hand": n,
                    "committed": 0,
                }
                for (w, s), n in data.stock.items()
            ],
        )
    if data.orders:
        session.execute(
            insert(Order),
            [
                {"number": n, "warehouse_id": warehouse_ids[w], "status": status}
                for n, (w, status) in data.orders.items()
            ],
        )
    order_ids = dict(session.execute(select(Order.number, Order.id)).all())

    committed: dict[tuple[int, int], int] = defaultdict(int)
    for number, sku, _, _, units in data.lines:
        committed[(warehouse_ids[data.orders[number][0]], product_ids[sku])] += units
    lock_stock(session, committed)
    if data.lines:
        session.execute(
            insert(OrderLine),
            [
                {
                    "order_id": order_ids[number],
                    "product_id": product_ids[sku],
                    "ordered": ordered,
                    "shipped": shipped,
                    "committed": units,
                    "picked": 0,
                }
                for number, sku, ordered, shipped, units in data.lines
            ],
        )
    for key, units in sorted(committed.items()):
        adjust(session, key, committed=units)
