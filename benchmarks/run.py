"""Run the benchmark: audit, dry-run, apply and hook overhead against baselines.

Generated data is kept between runs (benchmarks/data/ for SQLite, template
databases bench_tpl_<scale> on PostgreSQL); delete it to regenerate.

    python benchmarks/run.py --scales 10000,100000,1000000 --backends sqlite,postgresql

For each backend and scale it generates the data once, then measures every
command on a fresh copy, each in its own process, and prints one line per
measurement; ``--results`` writes the Markdown table for RESULTS.md.
PostgreSQL copies are made with CREATE DATABASE ... TEMPLATE on the server
named by --postgresql-url (its database part is ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
WORK = HERE / "data"
AUDIT = ["inventory:audit-backorder-commitments", "--format", "json"]
DRY_RUN = ["inventory:release-backorder-commitments", "--format", "json"]
APPLY = ["inventory:release-backorder-commitments", "--apply", "--format", "json"]
APPLY_TABLE = ["inventory:release-backorder-commitments", "--apply"]
PLAN_OUT = ["inventory:release-backorder-commitments", "--plan-out"]
APPLY_PLAN = ["inventory:release-backorder-commitments", "--apply", "--plan"]


def measure(*args: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, str(HERE / "measure.py"), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


class SqliteCopies:
    def __init__(self, scale: int) -> None:
        self.template = WORK / f"sqlite-{scale}.db"

    def generate(self, scale: int) -> None:
        if not self.template.exists():
            _generate(f"sqlite:///{self.template}", scale)

    def fresh(self, name: str) -> str:
        copy = WORK / f"{self.template.stem}-{name}.db"
        shutil.copyfile(self.template, copy)
        return f"sqlite:///{copy}"


class PostgresCopies:
    def __init__(self, scale: int, server_url: str) -> None:
        self.server = make_url(server_url)
        self.template = f"bench_tpl_{scale}"

    def _admin(self, statement: str) -> None:
        engine = create_engine(
            self.server.set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as conn:
            conn.execute(text(statement))
        engine.dispose()

    def generate(self, scale: int) -> None:
        if self._exists():
            return
        self._admin(f"CREATE DATABASE {self.template}")
        _generate(
            self.server.set(database=self.template).render_as_string(False), scale
        )

    def _exists(self) -> bool:
        engine = create_engine(self.server.set(database="postgres"))
        with engine.connect() as conn:
            found = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": self.template},
            )
        engine.dispose()
        return bool(found)

    def fresh(self, name: str) -> str:
        database = f"{self.template}_{name}"
        self._admin(f"DROP DATABASE IF EXISTS {database}")
        self._admin(f"CREATE DATABASE {database} TEMPLATE {self.template}")
        return self.server.set(database=database).render_as_string(False)


def _generate(url: str, scale: int) -> None:
    subprocess.run(
        [
            sys.executable,
            str(HERE / "generate.py"),
            "--lines",
            str(scale),
            "--database-url",
            url,
        ],
        check=True,
    )


def bench(
    copies: SqliteCopies | PostgresCopies, scale: int, repeat: int
) -> dict[str, dict[str, object]]:
    """Each timing is the median of ``repeat`` runs, product and baseline
    interleaved, so a burst of load elsewhere moves both alike."""
    copies.generate(scale)
    url = copies.fresh("read")
    plan = WORK / f"plan-{scale}.json"
    measure("cli", url, "--", *PLAN_OUT, str(plan))
    runs: dict[str, list[dict[str, object]]] = {}
    for _ in range(repeat):
        for name, result in (
            ("audit", lambda: measure("cli", url, "--", *AUDIT)),
            ("audit_baseline", lambda: measure("baseline-audit", url)),
            ("dry_run", lambda: measure("cli", url, "--", *DRY_RUN)),
            ("apply", lambda: measure("cli", copies.fresh("apply"), "--", *APPLY)),
            (
                "apply_table",
                lambda: measure("cli", copies.fresh("apply"), "--", *APPLY_TABLE),
            ),
            (
                "apply_plan",
                lambda: measure(
                    "cli", copies.fresh("apply"), "--", *APPLY_PLAN, str(plan)
                ),
            ),
            (
                "apply_baseline",
                lambda: measure("baseline-apply", copies.fresh("baseline")),
            ),
        ):
            runs.setdefault(name, []).append(result())
    results = {name: _median(samples) for name, samples in runs.items()}
    results["hooks"] = measure("hooks", copies.fresh("hooks"), "--events", "200")
    return results


def _median(samples: list[dict[str, object]]) -> dict[str, object]:
    ordered = sorted(samples, key=lambda r: r["seconds"])  # type: ignore[arg-type, return-value]
    middle = dict(ordered[len(ordered) // 2])
    middle["all_seconds"] = [r["seconds"] for r in samples]
    return middle


def summary(backend: str, scale: int, r: dict[str, dict[str, object]]) -> str:
    audit = r["audit"]["seconds"] / r["audit_baseline"]["seconds"]  # type: ignore[operator]
    apply = r["apply"]["seconds"] / r["apply_baseline"]["seconds"]  # type: ignore[operator]
    table = r["apply_table"]["seconds"] / r["apply_baseline"]["seconds"]  # type: ignore[operator]
    plan = r["apply_plan"]
    hooks = r["hooks"]["overhead_ms"]  # type: ignore[index]
    return (
        f"| {backend} | {scale:,} "
        f"| {r['audit']['seconds']:.2f} / "
        f"{r['audit_baseline']['seconds']:.2f} = {audit:.2f}x "
        f"| {r['dry_run']['seconds']:.2f} "
        f"| {r['apply']['seconds']:.2f} / "
        f"{r['apply_baseline']['seconds']:.2f} = {apply:.2f}x "
        f"| {r['apply_table']['seconds']:.2f} = {table:.2f}x "
        f"| {plan['seconds']:.2f} s, {plan['peak_rss_mb']} MB "
        f"| {r['audit']['peak_rss_mb']} / {r['dry_run']['peak_rss_mb']} / "
        f"{r['apply']['peak_rss_mb']} "
        f"| {r['audit']['statements']} / {r['dry_run']['statements']} / "
        f"{r['apply']['statements']} "
        f"| {hooks['qc_partial']} / {hooks['picking_backorder']} |"  # type: ignore[index]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Time the audit, dry-run, apply and hooks against hand-written SQL."
    )
    parser.add_argument(
        "--scales",
        default="10000,100000",
        help="order lines to generate, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--backends",
        default="sqlite",
        help="sqlite, postgresql or both, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per timing; the median is kept"
    )
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get(
            "WMS_BENCH_POSTGRESQL_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        ),
        help="the PostgreSQL server to copy template databases on; its database "
        "part is ignored (default: $WMS_BENCH_POSTGRESQL_URL or %(default)s)",
    )
    options = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    print(
        "| backend | order lines | audit / baseline (s) | dry-run (s) "
        "| apply JSON / baseline (s) | apply table (s) | apply --plan "
        "| peak RSS MB audit / dry-run / apply "
        "| statements audit / dry-run / apply | hook overhead ms qc / pick |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backend in options.backends.split(","):
        for scale in (int(s) for s in options.scales.split(",")):
            copies = (
                SqliteCopies(scale)
                if backend == "sqlite"
                else PostgresCopies(scale, options.postgresql_url)
            )
            results = bench(copies, scale, options.repeat)
            (WORK / f"{backend}-{scale}.json").write_text(json.dumps(results, indent=2))
            print(summary(backend, scale, results), flush=True)


if __name__ == "__main__":
    main()
