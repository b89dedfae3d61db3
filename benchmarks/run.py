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
    copies: SqliteCopies | PostgresCopies, scale: int
) -> dict[str, dict[str, object]]:
    copies.generate(scale)
    url = copies.fresh("read")
    results = {
        "audit": measure("cli", url, "--", *AUDIT),
        "audit_baseline": measure("baseline-audit", url),
        "dry_run": measure("cli", url, "--", *DRY_RUN),
        "apply": measure("cli", copies.fresh("apply"), "--", *APPLY),
        "apply_baseline": measure("baseline-apply", copies.fresh("baseline")),
        "hooks": measure("hooks", copies.fresh("hooks"), "--events", "200"),
    }
    return results


def summary(backend: str, scale: int, r: dict[str, dict[str, object]]) -> str:
    audit = r["audit"]["seconds"] / r["audit_baseline"]["seconds"]  # type: ignore[operator]
    apply = r["apply"]["seconds"] / r["apply_baseline"]["seconds"]  # type: ignore[operator]
    hooks = r["hooks"]["overhead_ms"]  # type: ignore[index]

    def seconds(step: str) -> str:
        return f"{r[step]['seconds']:.2f}"

    def per_command(key: str) -> str:
        return " / ".join(str(r[step][key]) for step in ("audit", "dry_run", "apply"))

    cells = [
        backend,
        f"{scale:,}",
        f"{seconds('audit')} / {seconds('audit_baseline')} = {audit:.2f}x",
        seconds("dry_run"),
        f"{seconds('apply')} / {seconds('apply_baseline')} = {apply:.2f}x",
        per_command("peak_rss_mb"),
        per_command("statements"),
        f"{hooks['qc_partial']} / {hooks['picking_backorder']}",  # type: ignore[index]
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="10000,100000")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get(
            "WMS_BENCH_POSTGRESQL_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        ),
    )
    options = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    print(
        "| backend | order lines | audit / baseline (s) | dry-run (s) "
        "| apply / baseline (s) | peak RSS MB audit / dry-run / apply "
        "| statements audit / dry-run / apply | hook overhead ms qc / pick |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for backend in options.backends.split(","):
        for scale in (int(s) for s in options.scales.split(",")):
            copies = (
                SqliteCopies(scale)
                if backend == "sqlite"
                else PostgresCopies(scale, options.postgresql_url)
            )
            results = bench(copies, scale)
            (WORK / f"{backend}-{scale}.json").write_text(json.dumps(results, indent=2))
            print(summary(backend, scale, results), flush=True)


if __name__ == "__main__":
    main()
