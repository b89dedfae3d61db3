"""Parameter types shared by the host's commands."""

from __future__ import annotations

from typing import Any

import click

from wms.errors import InvalidQuantity
from wms.stock import parse_units


class SkuQuantity(click.ParamType):
    """``SKU=QTY``; the last '=' splits, so a SKU may itself contain '='."""

    name = "SKU=QTY"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        sku, sep, qty = str(value).rpartition("=")
        if not sep or not sku:
            self.fail(f"{value!r} is not SKU=QTY (e.g. --line ABC-1=3)", param, ctx)
        try:
            return sku, parse_units(qty, f"quantity of {sku}")
        except InvalidQuantity as exc:
            self.fail(str(exc), param, ctx)


def quantities_by_sku(lines: tuple[tuple[str, int], ...]) -> dict[str, int]:
    """``--line`` values as a mapping, refusing a SKU given twice."""
    result: dict[str, int] = {}
    for sku, qty in lines:
        if sku in result:
            raise InvalidQuantity(f"SKU {sku} is given twice; give one --line per SKU")
        result[sku] = qty
    return result


class Quantity(click.ParamType):
    """A positive whole number of units."""

    name = "N"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        try:
            qty = value if isinstance(value, int) else parse_units(str(value), "N")
        except InvalidQuantity as exc:
            self.fail(str(exc).removeprefix("N "), param, ctx)
        if qty <= 0:
            self.fail(f"must be at least 1, got {qty}", param, ctx)
        return qty
