"""Warehouses and products: the master data orders and stock refer to."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wms.errors import AlreadyExists, NotFound, WmsError
from wms.models import Product, Warehouse

_PRINTABLE = r"[^\x00-\x1f\x7f]"
_EDGE = r"[^\s\x00-\x1f\x7f]"  # printable and not a space
_CODE = re.compile(rf"^{_EDGE}(?:{_PRINTABLE}{{0,62}}{_EDGE})?$")


class InvalidCode(WmsError):
    """A warehouse code or SKU is empty, too long or holds control characters."""


def check_code(kind: str, code: str) -> str:
    """Validate a warehouse code or SKU: 1-64 printable characters, no outer spaces.

    Commas, quotes and non-ASCII letters are allowed: real SKUs contain them.
    """
    if not _CODE.fullmatch(code):
        raise InvalidCode(
            f"invalid {kind} {code!r}: use 1-64 printable characters "
            "without leading or trailing spaces"
        )
    return code


MAX_NAME = 200


def check_name(kind: str, name: str) -> str:
    """At most 200 characters and no line breaks or control characters.

    A name with a line break in an import file is usually a stray quote that
    swallowed the following rows.
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidCode(
            f"{kind} name holds a line break or control character "
            "(a stray quote in a CSV file?)"
        )
    if len(name) > MAX_NAME:
        raise InvalidCode(
            f"{kind} name is {len(name)} characters long; the most is {MAX_NAME}"
        )
    return name


def add_warehouse(session: Session, code: str, name: str = "") -> Warehouse:
    check_code("warehouse code", code)
    check_name("warehouse", name)
    if session.scalar(select(Warehouse.id).where(Warehouse.code == code)):
        raise AlreadyExists(f"warehouse {code} already exists")
    warehouse = Warehouse(code=code, name=name or code)
    session.add(warehouse)
    _flush_new(session, f"warehouse {code} already exists")
    return warehouse


def add_product(session: Session, sku: str, name: str = "") -> Product:
    check_code("SKU", sku)
    check_name("product", name)
    if session.scalar(select(Product.id).where(Product.sku == sku)):
        raise AlreadyExists(f"product {sku} already exists")
    product = Product(sku=sku, name=name or sku)
    session.add(product)
    _flush_new(session, f"product {sku} already exists")
    return product


def _flush_new(session: Session, already: str) -> None:
    """Flush an insert; another writer adding the same key first is AlreadyExists."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise AlreadyExists(already) from exc


def get_warehouse(session: Session, code: str) -> Warehouse:
    warehouse = session.scalars(select(Warehouse).where(Warehouse.code == code)).first()
    if warehouse is None:
        raise NotFound(
            f"unknown warehouse {code!r}; add it with 'wms warehouse add {code}'"
        )
    return warehouse


def get_product(session: Session, sku: str) -> Product:
    product = session.scalars(select(Product).where(Product.sku == sku)).first()
    if product is None:
        raise NotFound(f"unknown SKU {sku!r}; add it with 'wms product add {sku}'")
    return product
