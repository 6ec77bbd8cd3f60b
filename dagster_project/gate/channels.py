"""Gate rule: every channel value in the raw data is known to the channel map.

A channel the map does not know would silently count as "not digital" and bend the digital
shares, so it blocks. The map is the built-in seed of the dbt project (source `*` = every
source) extended by `config/channels.csv` (`raw.channels`); matching ignores case, spaces
and hyphens, exactly like dbt's `channel_key` macro. The message gives, per unknown value,
its source, its row count and the line to add to `config/channels.csv`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.core.db import quote, table_columns, table_exists
from dagster_project.core.settings import DBT_PROJECT_DIR
from dagster_project.gate.results import ERROR, GateResult

CHECK_NAME = "channel_map"
# source → the raw column that holds its channel
CHANNEL_COLUMNS = {
    "erp_orders": "channel",
    "crm_interactions": "channel",
    "crm_leads": "source_channel",
}
SEED_CANDIDATES = ("builtin_channel_map.csv", "channel_map.csv")
ALL_SOURCES = {"*", ""}
CONFIG_COLUMNS = ("source", "raw_value", "channel", "is_digital")


def channel_key(value: str) -> str:
    """The compared form of a channel name: `Online-Shop`, `online shop` → `onlineshop`."""
    return value.strip().replace(" ", "").replace("-", "").lower()


def builtin_map_path(dbt_dir: Path = DBT_PROJECT_DIR) -> Path | None:
    for name in SEED_CANDIDATES:
        path = dbt_dir / "seeds" / name
        if path.exists():
            return path
    return None


def read_builtin_map(path: Path | None) -> list[tuple[str, str]]:
    """(source, raw_value) pairs of the seed; empty without one (then config must map all)."""
    if path is None:
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            ((r.get("source") or "").strip(), r.get("raw_value") or "") for r in csv.DictReader(f)
        ]


def read_config_map(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    if not table_exists(con, "raw.channels"):
        return []
    rows = con.execute(
        "select source, raw_value from raw.channels where raw_value is not null"
    ).fetchall()
    return [((s or "").strip(), v) for s, v in rows]


@dataclass(frozen=True)
class UnmappedValue:
    source: str
    raw_value: str
    rows: int


def known_keys(pairs: list[tuple[str, str]], source: str) -> set[str]:
    return {channel_key(v) for s, v in pairs if s in ALL_SOURCES or s.lower() == source}


def unmapped_values(
    con: duckdb.DuckDBPyConnection, source: str, builtin: list[tuple[str, str]]
) -> list[UnmappedValue]:
    """Distinct raw channel values of `source` that neither map knows, most rows first."""
    column = CHANNEL_COLUMNS[source]
    if column not in table_columns(con, f"raw.{source}"):
        return []
    known = known_keys(builtin + read_config_map(con), source)
    counts = con.execute(
        f"select {quote(column)} as value, count(*) from raw.{quote(source)} "
        f"where {quote(column)} is not null group by 1"
    ).fetchall()
    unknown = [UnmappedValue(source, v, int(n)) for v, n in counts if channel_key(v) not in known]
    return sorted(unknown, key=lambda u: (-u.rows, u.raw_value))


def config_line(value: UnmappedValue, channels_csv: Path) -> str:
    """The line to add, in the delimiter and column order the existing file uses."""
    delimiter, order = ",", list(CONFIG_COLUMNS)
    if channels_csv.exists():
        with channels_csv.open(encoding="utf-8-sig", errors="replace") as f:
            header = f.readline()
        delimiter = max((";", ",", "\t", "|"), key=header.count) if header.strip() else ","
        names = [h.strip().lower() for h in header.strip().split(delimiter)]
        if sorted(names) == sorted(CONFIG_COLUMNS):
            order = names
    fields = {
        "source": value.source,
        "raw_value": value.raw_value.strip(),
        "channel": "<channel>",
        "is_digital": "<true|false>",
    }
    return delimiter.join(fields[c] for c in order)


def channel_map_result(
    con: duckdb.DuckDBPyConnection,
    source: str,
    channels_csv: Path,
    builtin: list[tuple[str, str]] | None = None,
) -> GateResult:
    """Block when `raw.<source>` holds channel values the map does not know."""
    if builtin is None:
        builtin = read_builtin_map(builtin_map_path())
    unknown = unmapped_values(con, source, builtin)
    column = CHANNEL_COLUMNS[source]
    if not unknown:
        return GateResult(
            CHECK_NAME,
            source,
            ERROR,
            True,
            "0 values",
            "0 values",
            f"{source}: every {column} value is in the channel map",
        )
    listed = "; ".join(
        f"{u.raw_value!r} ({u.rows} rows) → add `{config_line(u, channels_csv)}`" for u in unknown
    )
    message = (
        f"{source}: {len(unknown)} {column} value{'s' if len(unknown) > 1 else ''} "
        f"not in the channel map: {listed}. Fix: add these lines to {channels_csv}, "
        f"with <channel> the channel it is "
        f"(e.g. webshop, phone) and <true|false> whether it is digital, and run again"
    )
    return GateResult(
        CHECK_NAME, source, ERROR, False, f"{len(unknown)} values", "0 values", message
    )
