"""``wms inventory:audit-backorder-commitments``: read-only, never writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session
from wms.catalog import get_product, get_warehouse
from wms.output import echo_json, echo_table, format_option, limit_option
from wms.runtime import Runtime, pass_runtime

from backorder_release.audit import COLUMNS, WOULD_MAKE_AVAILABLE, audit
from backorder_release.backorders import backordered_lines
from backorder_release.csv_export import write_csv

LINE_COLUMNS = ["order", "warehouse", "sku", "committed"]


@click.command("inventory:audit-backorder-commitments")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the rows to this CSV file.",
)
@click.option("--sku", help="Only this product, down to its backordered order lines.")
@click.option("--warehouse", "warehouse_code", help="Only this warehouse.")
@limit_option
@format_option
@pass_runtime
def audit_command(
    runtime: Runtime,
    csv_path: Path | None,
    sku: str | None,
    warehouse_code: str | None,
    limit: int,
    output_format: str,
) -> None:
    """Show, per warehouse and SKU, the units backordered lines still hold."""

    def work(session: Session) -> dict[str, Any]:
        warehouse_id = (
            get_warehouse(session, warehouse_code).id if warehouse_code else None
        )
        product_id = get_product(session, sku).id if sku else None
        rows = [
            r.as_dict()
            for r in audit(session, warehouse_id=warehouse_id, product_id=product_id)
        ]
        lines = []
        if product_id is not None:
            lines = [
                {
                    "order": number,
                    "warehouse": code,
                    "sku": line_sku,
                    "committed": committed,
                }
                for _, _, _, _, committed, number, code, line_sku in session.execute(
                    backordered_lines(warehouse_id=warehouse_id, product_id=product_id)
                )
            ]
        return {"rows": rows, "lines": lines}

    report = runtime.read(work)
    report["totals"] = _totals(report["rows"])
    if sku is None:
        del report["lines"]

    if csv_path is not None:
        write_csv(csv_path, COLUMNS, report["rows"], protected=runtime.database_files())

    if output_format == "json":
        echo_json(report)
        return
    _echo_report(report, csv_path, limit)


def _totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "products": len(rows),
        "releasable": sum(r["releasable"] for r in rows),
        "would_make_available": sum(
            1 for r in rows if r["flag"] == WOULD_MAKE_AVAILABLE
        ),
    }


def _flagged(row: dict[str, Any]) -> dict[str, Any] | None:
    return FLAGGED_STYLE if row["flag"] == WOULD_MAKE_AVAILABLE else None


FLAGGED_STYLE = {"fg": "yellow", "bold": True}


def _echo_report(report: dict[str, Any], csv_path: Path | None, limit: int) -> None:
    """The table puts flagged rows first: they deserve a physical count first."""
    totals = report["totals"]
    flagged_first = sorted(
        report["rows"], key=lambda r: r["flag"] != WOULD_MAKE_AVAILABLE
    )
    echo_table(
        flagged_first,
        COLUMNS,
        empty="no backordered lines hold commitments",
        limit=limit,
        style=_flagged,
    )
    if "lines" in report and report["lines"]:
        click.echo("")
        echo_table(report["lines"], LINE_COLUMNS, limit=limit)
    if totals["products"]:
        click.echo("")
        click.echo(
            f"{totals['releasable']} units releasable across {totals['products']} "
            f"warehouse/SKU rows; {totals['would_make_available']} flagged "
            f"{WOULD_MAKE_AVAILABLE} (count those shelves first)"
        )
    if csv_path is not None:
        click.echo(f"wrote {len(report['rows'])} rows to {csv_path}")
    if totals["releasable"]:
        click.echo(
            "next: review the plan with 'wms inventory:release-backorder-commitments' "
            "(a dry-run)"
        )
    else:
        click.echo(
            "next: nothing to release; switch the setting on with "
            "'wms settings set inventory.release_backorder_commitments true'"
        )
