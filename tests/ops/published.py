"""Publications made with the real `publish()`, from a small build database written here.

Every publication `v` holds `ROWS` KPI rows whose value is `v`, and `meta.publication` gains
one row per publication: a reader that saw a half-written or mixed file would see a row
count, a min and max value, or a publication count that do not fit together.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from dagster_project.core.settings import Settings
from dagster_project.publish.publication import publish

ROWS = 20_000
CONSISTENCY_SQL = (
    "select count(*) as n, min(value) as lo, max(value) as hi, "
    "(select count(*) from meta.publication) as pubs from marts.kpi_monthly"
)


def write_build(settings: Settings, version: int) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute(
            "create schema if not exists marts; create schema if not exists dq; "
            "create schema if not exists meta"
        )
        con.execute(
            "create or replace table marts.kpi_monthly as select 'digital_order_share' as kpi_id, "
            "date '2024-11-01' + to_months(cast(i % 24 as integer)) as month, "
            "'U' || (i // 24) as org_unit_id, cast(? as double) as value from range(?) t(i)",
            [version, ROWS],
        )
        con.execute(
            "create or replace table dq.gate_results as select ? as run_id, 'freshness' as "
            "check_name, 'erp_orders' as source_or_table, 'warn' as severity, true as passed, "
            "'newest order_date 2026-10-31 (22 days old)' as observed, '≤ 45 days old' as "
            "threshold, 'erp_orders: fresh' as message",
            [f"run-{version}"],
        )
        con.execute(
            "create or replace table dq.quarantine (source varchar, file_name varchar, "
            "row_number bigint, column_name varchar, reason varchar, raw_value varchar)"
        )
        con.execute(
            "create or replace table meta.loaded_files as select 'erp_orders' as source, "
            "'orders_' || i || '.csv' as file_name, 'h' || i as file_hash from range(3) t(i)"
        )
        con.execute(
            "create or replace table meta.ingest_results as select 'erp_orders' as source, "
            "cast(? as bigint) as rows_loaded, cast(7 as bigint) as rows_quarantined",
            [ROWS],
        )


def publish_version(settings: Settings, version: int) -> None:
    write_build(settings, version)
    when = datetime(2026, 11, 22, 6, 0) + timedelta(minutes=version)
    publish(settings, f"run-{version}", published_at=when)


if __name__ == "__main__":  # a separate publisher process: python -m tests.ops.published DATA N
    import sys
    import time
    from pathlib import Path

    data_dir, count = Path(sys.argv[1]), int(sys.argv[2])
    settings = Settings(sources_dir=data_dir / "sources", data_dir=data_dir)
    start = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    for v in range(start, start + count):
        publish_version(settings, v)
        time.sleep(0.05)
