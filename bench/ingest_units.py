"""The org-unit-by-name lookup of the ingest at scale: the long-history ERP export with its
units written by name against the same export with them by id.

    python -m bench.ingest_units [--orders 5000000] [--rounds 3]

Generates the sample's config folder and the two exports (bench/long_history.py), then loads
the config tables and `erp_orders` into a fresh build database, alternating by name and by
id, and prints wall and CPU seconds (the process's, DuckDB's threads included) of
`load_source`. Both must give the same `raw.erp_orders` (org_unit_id counted per unit).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.long_history import write_long_history
from dagster_project.ingest.loader import load_config, load_source


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load(sources: Path, db: Path) -> tuple[float, float, list]:
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        load_config(con, sources, "bench-config")
        started, cpu = time.perf_counter(), _cpu()
        load_source(con, "erp_orders", sources, "bench-orders")
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
        units = con.execute("select org_unit_id, count(*) from raw.erp_orders "
                            "group by all order by all").fetchall()
    finally:
        con.close()
    return wall, cpu, units


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leitstand-units-") as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "dagster_project.sample", "--out",
                        str(work / "sample")], check=True, stdout=subprocess.DEVNULL)
        folders = {}
        for kind in ("name", "id"):
            folder = work / kind
            shutil.copytree(work / "sample" / "config", folder / "config")
            (folder / "erp_orders").mkdir()
            write_long_history(folder, args.orders, by_id=kind == "id")
            folders[kind] = folder
        print(f"{args.orders:,} orders, units by name and by id")
        for round_ in range(1, args.rounds + 1):
            seen = {}
            for kind, folder in folders.items():
                wall, cpu, units = load(folder, work / "build.duckdb")
                seen[kind] = units
                print(f"round {round_}: by {kind}: {wall:.2f} s wall / {cpu:.2f} s CPU")
            if seen["name"] != seen["id"]:
                print("the units differ", seen)
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
