"""Hand-made build databases for the gate tests: typed tables from a few literal rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

LINEAGE = {"_source": "varchar", "_file_name": "varchar", "_file_hash": "varchar",
           "_row_number": "bigint", "_load_id": "varchar", "_loaded_at": "timestamp"}

ERP_ORDERS = {"order_id": "varchar", "order_date": "date", "confirmed_date": "date",
              "customer_id": "varchar", "org_unit_id": "varchar", "channel": "varchar",
              "net_amount": "double", "currency": "varchar", "status": "varchar"}

# marts.kpi_definitions as dbt builds it
KPI_DEFINITIONS = {"kpi_id": "varchar", "name_de": "varchar", "name_en": "varchar",
                   "unit": "varchar", "direction": "varchar", "source": "varchar",
                   "description": "varchar", "min_value": "double", "max_value": "double"}

ORG_UNITS = [("HAT", "Hagedorn Antriebstechnik GmbH", None), ("VT", "Vertrieb", "HAT"),
             ("VT-IN", "Vertrieb Inland", "VT"), ("VT-EX", "Vertrieb Export", "VT")]


def create(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str],
           rows: Sequence[Sequence[Any]]) -> None:
    """`create table` with the given SQL types and insert the rows (in column order)."""
    schema = table.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    con.execute(f"create or replace table {table} ({cols})")
    if rows:
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"insert into {table} values ({marks})", [list(r) for r in rows])


def create_raw(con: duckdb.DuckDBPyConnection, source: str, columns: dict[str, str],
               rows: Sequence[Sequence[Any]], file_name: str = "export_2026-10-31.csv") -> None:
    """A raw table with lineage columns; row i comes from `file_name` row i + 2."""
    lineage_rows = [
        [*r, source, file_name, "hash", i + 2, "load-1", dt.datetime(2026, 11, 1)]
        for i, r in enumerate(rows)
    ]
    create(con, f"raw.{source}", {**columns, **LINEAGE}, lineage_rows)


def org_units(con: duckdb.DuckDBPyConnection) -> None:
    create_raw(con, "org_units", {"org_unit_id": "varchar", "name": "varchar",
                                  "parent_id": "varchar"}, ORG_UNITS, "org_units.csv")


def good_order(order_id: str, **changes: Any) -> list[Any]:
    """A plausible order row; `changes` override single fields."""
    row = {"order_id": order_id, "order_date": dt.date(2026, 10, 5),
           "confirmed_date": dt.date(2026, 10, 6), "customer_id": "K-100",
           "org_unit_id": "VT-IN", "channel": "Webshop", "net_amount": 1250.5,
           "currency": "EUR", "status": "invoiced"}
    row.update(changes)
    return [row[c] for c in ERP_ORDERS]


def erp_orders(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]],
               file_name: str = "orders_2026-10-31.csv") -> None:
    create_raw(con, "erp_orders", ERP_ORDERS, rows, file_name)


def settings(con: duckdb.DuckDBPyConnection, values: dict[str, str] | None = None) -> None:
    create_raw(con, "settings", {"key": "varchar", "value": "varchar"},
               list((values or {}).items()), "settings.csv")
