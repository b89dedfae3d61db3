"""``wms inventory:release-backorder-commitments``: dry-run first, idempotent apply."""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session
from wms.catalog import get_warehouse
from wms.errors import NotFound
from wms.models import Order, Warehouse, utcnow
from wms.output import format_option, limit_option
from wms.runtime import Runtime, pass_runtime

from backorder_release.models import ReleaseLog, Trigger
from backorder_release.plan import (
    PlannedLine,
    check_plan,
    locate_lines,
    read_plan,
    whole_orders,
    write_plan,
)
from backorder_release.release import (
    DRIFTED,
    PLANNED,
    RELEASED,
    REVERTED,
    LineRelease,
    OrderRange,
    Released,
    count_releasable_orders,
    new_run_id,
    plan_release,
    releasable_order_ids,
    release_orders,
    released_json,
    released_lines,
    run_totals,
)
from backorder_release.report import ReleaseReport, stopped_note
from backorder_release.revert import (
    check_revertible,
    plan_revert,
    revert_orders,
    run_order_ids,
)
from backorder_release.settings import release_enabled

DEFAULT_BATCH_SIZE = 10_000
MAX_BATCH_SIZE = 1_000_000
RUN_ID = re.compile(r"[0-9a-f]{1,32}")
"""Run ids are hexadecimal (--apply prints them; hooks write them too)."""


@click.command("inventory:release-backorder-commitments")
@click.option(
    "--apply", "apply_", is_flag=True, help="Release for real (default: dry-run)."
)
@click.option("--order", "order_number", help="Only this order.")
@click.option("--warehouse", "warehouse_code", help="Only this warehouse.")
@click.option(
    "--plan-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Dry-run: also write the plan to this JSON file, to review and apply "
    "with --apply --plan.",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Release exactly the lines of a plan written by --plan-out; a line "
    "that changed since is reported as drifted and left alone.",
)
@click.option(
    "--revert",
    "revert_run",
    metavar="RUN_ID",
    help="Re-commit what run RUN_ID released (a dry-run unless --apply).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1, max=MAX_BATCH_SIZE),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Orders per transaction with --apply.",
)
@limit_option
@format_option
@pass_runtime
def release_command(
    runtime: Runtime,
    apply_: bool,
    order_number: str | None,
    warehouse_code: str | None,
    plan_out: Path | None,
    plan_path: Path | None,
    revert_run: str | None,
    batch_size: int,
    limit: int,
    output_format: str,
) -> None:
    """Release the commitments of backordered lines (a dry-run unless --apply)."""
    _check_options(
        apply_=apply_,
        filtered=order_number is not None or warehouse_code is not None,
        plan_out=plan_out,
        plan_path=plan_path,
        revert_run=revert_run,
    )
    report = ReleaseReport(output_format=output_format, applied=apply_, limit=limit)

    with _signals_stop_like_ctrl_c(), _told_if_stopped(runtime, report):
        if revert_run is not None:
            _revert(runtime, report, revert_run, apply_=apply_, batch_size=batch_size)
        elif plan_path is not None:
            _follow_plan(runtime, report, plan_path, apply_=apply_)
        elif apply_:
            scope = runtime.read(lambda s: _scope(s, warehouse_code, order_number))
            _apply(runtime, report, scope, batch_size)
        else:
            scope = runtime.read(lambda s: _scope(s, warehouse_code, order_number))
            filters = {"warehouse": warehouse_code, "order": order_number}
            _dry_run(runtime, report, scope, plan_out, filters)
    report.finish(runtime.actor)


class _Signalled(BaseException):
    """A stop signal, raised like KeyboardInterrupt: no ``except Exception``
    swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.name = signal.Signals(signum).name


@contextmanager
def _signals_stop_like_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP (timeout, systemd, a closed terminal) stop the run as
    Ctrl-C does: the batch in flight rolls back, the note below is printed,
    and the exit code is 1.  Left alone they end Python on the spot, silent.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def stop(signum: int, _frame: object) -> None:
        raise _Signalled(signum)

    stops = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {signum: signal.signal(signum, stop) for signum in stops}
    try:
        yield
    except _Signalled as stopped:
        click.echo(f"Stopped by {stopped.name}.", err=True)
        sys.exit(1)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _told_if_stopped(runtime: Runtime, report: ReleaseReport) -> Iterator[None]:
    """A run stopped half-way (Ctrl-C, a lost database) says what it committed.

    Its committed batches stay; the operator needs the run id to find them,
    finish them, or revert them.  The log is asked, not the report: a batch
    can commit just before the interruption reaches the report.
    """
    try:
        yield
    except BaseException:
        run_id = report.run_id
        if run_id is not None:
            try:
                totals = runtime.read(partial(run_totals, run_id=run_id), retry=False)
            except Exception:
                totals = None
            if totals is None:
                click.echo(
                    f"stopped: the database could not say what run {run_id} "
                    f"committed. next: once it answers, --revert {run_id} lists it",
                    err=True,
                )
            elif totals.lines:
                click.echo(stopped_note(run_id, totals), err=True)
        raise


def _check_options(
    *,
    apply_: bool,
    filtered: bool,
    plan_out: Path | None,
    plan_path: Path | None,
    revert_run: str | None,
) -> None:
    """Refuse combinations that would do something other than what was meant."""
    if plan_out is not None and (apply_ or plan_path or revert_run):
        raise click.UsageError(
            "--plan-out writes a dry-run's plan: use it without --apply, --plan "
            "or --revert"
        )
    if plan_path is not None and (filtered or revert_run):
        raise click.UsageError(
            "--plan releases exactly the plan's lines: drop --order, --warehouse "
            "and --revert"
        )
    if revert_run is not None and not RUN_ID.fullmatch(revert_run):
        raise click.UsageError(
            f"--revert takes a run id as --apply prints it (hexadecimal), "
            f"not {revert_run!r}"
        )
    if revert_run is not None and filtered:
        raise click.UsageError(
            "--revert undoes a whole run: drop --order and --warehouse"
        )


def _dry_run(
    runtime: Runtime,
    report: ReleaseReport,
    scope: dict[str, Any],
    plan_out: Path | None,
    filters: dict[str, str | None],
) -> None:
    report.start(None)
    if plan_out is None:
        runtime.read(lambda s: report.add(plan_release(s, **scope)), retry=False)
        return

    def write(session: Session) -> dict[str, int]:
        return write_plan(
            plan_out,
            _shown_as_they_pass(report, plan_release(session, **scope)),
            actor=runtime.actor,
            created_at=utcnow().isoformat(timespec="seconds"),
            scope=filters,
            protected=runtime.database_files(),
        )

    totals = runtime.read(write, retry=False)
    report.next_step = (
        f"wrote the plan of {totals['lines']} lines ({totals['units']} units) to "
        f"{plan_out}. next: review it, then release exactly it with "
        f"--apply --plan {plan_out}"
    )


def _shown_as_they_pass(
    report: ReleaseReport, lines: Iterable[LineRelease]
) -> Iterator[LineRelease]:
    """Report every line, and pass the planned ones on to the plan file."""
    for line in lines:
        report.add([line])
        if line.status == PLANNED:
            yield line


def _apply(
    runtime: Runtime, report: ReleaseReport, scope: dict[str, Any], batch_size: int
) -> None:
    report.start(new_run_id())
    runtime.read(
        lambda s: report.add(plan_release(s, releasable=False, **scope)),
        retry=False,
    )

    def count() -> int:
        return runtime.read(lambda s: count_releasable_orders(s, **scope))

    with progress(count) as bar:
        for orders, released, done in _release_in_batches(
            runtime, report, scope, batch_size
        ):
            _report_batch(runtime, report, orders, released)
            bar.update(done)
    if runtime.read(lambda s: _setting_on(s, scope["warehouse_id"])):
        report.next_step = (
            "the setting is already on here: new backorders release by themselves"
        )


def _setting_on(session: Session, warehouse_id: int | None) -> bool:
    """Whether the setting is on for the warehouse, or for every warehouse."""
    ids = (
        [warehouse_id]
        if warehouse_id is not None
        else session.scalars(select(Warehouse.id)).all()
    )
    return bool(ids) and all(release_enabled(session, id_) for id_ in ids)


def _follow_plan(
    runtime: Runtime, report: ReleaseReport, plan_path: Path, *, apply_: bool
) -> None:
    """Check (dry-run) or release a reviewed plan, a few thousand lines at a time."""
    planned = read_plan(plan_path)
    order_ids = runtime.read(partial(locate_lines, planned=planned))
    run_id = new_run_id() if apply_ else None
    report.start(run_id)

    for chunk in whole_orders(planned, order_ids):
        if run_id is None:
            unchanged, drifted = runtime.read(partial(check_plan, planned=chunk))
            report.add(drifted)
            report.add(line.reported(PLANNED, row=row) for line, row in unchanged)
            continue
        orders, released, drifted = runtime.write(
            partial(_release_planned, chunk=chunk, run_id=run_id, actor=runtime.actor)
        )
        report.add(drifted)
        if orders is not None:
            _report_batch(runtime, report, orders, released)

    if run_id is None:
        report.next_step = (
            "dry-run: nothing was changed. next: release exactly this plan with "
            f"--apply --plan {plan_path}"
        )


def _release_planned(
    session: Session, chunk: list[PlannedLine], run_id: str, actor: str
) -> tuple[OrderRange | None, list[Released], list[LineRelease]]:
    """Release the chunk's lines that are still as planned; the rest drifted."""
    unchanged, drifted = check_plan(session, chunk)
    if not unchanged:
        return None, [], drifted
    order_ids = [row.order_id for _, row in unchanged]
    orders = OrderRange(
        min(order_ids),
        max(order_ids),
        planned=tuple((line.line_id, line.units) for line, _ in unchanged),
    )
    released = release_orders(
        session, orders, trigger=Trigger.BACKFILL, run_id=run_id, actor=actor
    )

    done = set(
        session.scalars(
            select(ReleaseLog.line_id).where(
                ReleaseLog.run_id == run_id,
                ReleaseLog.order_id.between(orders.first, orders.last),
            )
        )
    )
    raced = [line for line, _ in unchanged if line.line_id not in done]
    return orders, released, drifted + _raced(session, raced)


def _raced(session: Session, lines: list[PlannedLine]) -> list[LineRelease]:
    """Planned lines a concurrent step changed between the check and the release.

    Checked again, now that the release holds the locks: skipped when a
    parallel run released them, drifted with the reason otherwise.
    """
    if not lines:
        return []
    unchanged, changed = check_plan(session, lines)
    return changed + [
        line.reported(DRIFTED, "changed while it was being released", row)
        for line, row in unchanged
    ]


def _revert(
    runtime: Runtime,
    report: ReleaseReport,
    reverted_run: str,
    *,
    apply_: bool,
    batch_size: int,
) -> None:
    """Show (dry-run) or re-commit what a run released, in batches of orders."""
    runtime.read(lambda s: check_revertible(s, reverted_run))
    if not apply_:
        report.start(None)
        runtime.read(lambda s: report.add(plan_revert(s, reverted_run)), retry=False)
        report.next_step = (
            "dry-run: nothing was changed. next: re-commit with "
            f"--revert {reverted_run} --apply"
        )
        return

    run_id = new_run_id()
    report.start(run_id)
    runtime.read(
        lambda s: report.add(
            line for line in plan_revert(s, reverted_run) if line.status != PLANNED
        ),
        retry=False,
    )
    after = 0
    while True:
        ids = runtime.read(
            partial(run_order_ids, run_id=reverted_run, after=after, limit=batch_size)
        )
        if not ids:
            break
        orders = OrderRange(ids[0], ids[-1])
        summaries = runtime.write(
            partial(
                revert_orders,
                reverted_run=reverted_run,
                orders=orders,
                run_id=run_id,
                actor=runtime.actor,
            )
        )
        _report_batch(runtime, report, orders, summaries, status=REVERTED)
        after = ids[-1]
    report.next_step = (
        f"run {reverted_run} is reverted; the audit lists its lines again "
        "(wms inventory:audit-backorder-commitments)"
    )


def _scope(
    session: Session, warehouse_code: str | None, order_number: str | None
) -> dict[str, Any]:
    """The --warehouse and --order filters as ids, checked to exist."""
    scope: dict[str, Any] = {"warehouse_id": None, "order_ids": None}
    if warehouse_code is not None:
        scope["warehouse_id"] = get_warehouse(session, warehouse_code).id
    if order_number is not None:
        order_id = session.scalar(select(Order.id).where(Order.number == order_number))
        if order_id is None:
            raise NotFound(
                f"unknown order {order_number!r}; "
                "check the number with 'wms order show'"
            )
        scope["order_ids"] = [order_id]
    return scope


def _release_in_batches(
    runtime: Runtime, report: ReleaseReport, scope: dict[str, Any], batch_size: int
) -> Iterator[tuple[OrderRange, list[Released], int]]:
    """Release ``batch_size`` orders per transaction, walking order ids upwards.

    A crash loses at most the batch in flight; rerunning finds only what is
    still releasable, so nothing is released twice.
    """
    run_id = report.run_id
    assert run_id is not None
    after = 0

    def batch(session: Session) -> tuple[list[int], list[Released]]:
        ids = releasable_order_ids(session, after=after, limit=batch_size, **scope)
        if not ids:
            return ids, []
        released = release_orders(
            session,
            _range(ids),
            trigger=Trigger.BACKFILL,
            run_id=run_id,
            actor=runtime.actor,
        )
        return ids, released

    def _range(ids: list[int]) -> OrderRange:
        return OrderRange(ids[0], ids[-1], warehouse_id=scope["warehouse_id"])

    while True:
        ids, released = runtime.write(batch)
        if not ids:
            return
        after = ids[-1]
        yield _range(ids), released, len(ids)


def _report_batch(
    runtime: Runtime,
    report: ReleaseReport,
    orders: OrderRange,
    released: list[Released],
    *,
    status: str = RELEASED,
) -> None:
    """Count a committed batch and show its lines, read back from the log."""
    assert report.run_id is not None
    run_id = report.run_id
    if report.output_format == "json" and released:
        runtime.read(
            lambda s: report.add_released_json(
                released, released_json(s, run_id, orders, status=status), status=status
            ),
            retry=False,
        )
        return
    room = report.room()
    if room == 0 or not released:
        report.add_released(released, [], status=status)
        return
    runtime.read(
        lambda s: report.add_released(
            released,
            released_lines(s, run_id, orders, limit=room, status=status),
            status=status,
        ),
        retry=False,
    )


@contextmanager
def progress(count: Callable[[], int]) -> Iterator[_Progress]:
    """A progress bar with rate and ETA on a terminal's stderr; nothing otherwise.

    ``count`` is only called for a terminal: counting the backlog costs a query.
    """
    total = count() if sys.stderr.isatty() else 0
    if not total:
        yield _Progress(None)
        return
    started = time.monotonic()

    def rate(done: int | None) -> str | None:
        if done is None:
            return None
        return f"{done / max(time.monotonic() - started, 1e-6):,.0f} orders/s"

    with click.progressbar(
        length=total,
        label="releasing",
        file=sys.stderr,
        show_eta=True,
        show_pos=True,
        item_show_func=rate,
    ) as bar:
        yield _Progress(bar)


class _Progress:
    """Counts released orders and moves the bar, if there is one."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.done = 0

    def update(self, orders: int) -> None:
        self.done += orders
        if self.bar is not None:
            self.bar.update(orders, current_item=self.done)
