"""The privacy rule and its audit (docs/kpis.md, Privacy), applied by the pipeline around the
dbt build, the same code whichever engine builds the models.

The rule is iterative set logic over every cell about people (`privacy_rule.py`); dbt's
Python models would have tied it to one engine (open-source Spark runs none under dbt). So
dbt builds in two parts (`transform/build.py`):

1. everything not downstream of `int_privacy_cells_suppressed`: among it the rule's inputs
   (`RULE_INPUTS`);
2. `verdict_rows` reads them, `write_verdict` stores the verdict where that model reads it
   (`privacy.cells_suppressed`, macro `privacy_verdict_relation`), and dbt builds the
   model and everything downstream of it (the marts and their tests).

After the second part, `derivable_rows` runs the closing audit (`privacy_audit.py`) on
`audit.audit_privacy_cells`: any row fails the dbt step, so nothing of such a run is
published.

Both read through a DuckDB connection in which the models are `<schema>.<model>`: the build
database itself, or (Spark) views over the Parquet files of Spark's tables.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from dagster_project.transform.privacy_audit import audit
from dagster_project.transform.privacy_rule import (
    SUM_OF_BREAKDOWN,
    TotalWithBreakdown,
    breakdown_suppressed,
    resolved_min_group_size,
    suppressed_units,
)

# the model that reads the verdict back: the first part of the build is everything not
# downstream of it
VERDICT_MODEL = "int_privacy_cells_suppressed"
VERDICT_SCHEMA, VERDICT_TABLE = "privacy", "cells_suppressed"
AUDIT_TABLE = "audit_privacy_derivable_cells"  # in schema audit, the build database only
# (schema, model) the rule and the audit read
RULE_INPUTS = (
    ("intermediate", "int_privacy_cells_unioned"),
    ("intermediate", "int_privacy_breakdown_people"),
    ("intermediate", "int_org_units_ranked"),
    ("intermediate", "int_min_group_size_resolved"),
)
AUDIT_INPUTS = (("audit", "audit_privacy_cells"),)
VERDICT_COLUMNS = "table_name varchar, cell_group varchar, org_unit_id varchar, suppressed boolean"


class PeopleOfBreakdown:
    """`covered(unit, keys)` for one total, from int_privacy_breakdown_people, read on the
    first question (most totals never need it: one cell of >= min_group_size people, or
    cells that add up to fewer, settle it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table_name, total_group, descendants):
        self.con, self.table_name, self.total_group = con, table_name, total_group
        self.descendants = descendants
        self.people = None

    def __call__(self, unit, keys):
        if self.people is None:
            self.people = defaultdict(set)
            rows = self.con.execute(
                "select breakdown_key, org_unit_id, person_id"
                " from intermediate.int_privacy_breakdown_people"
                " where table_name = ? and within_cell_group = ?",
                [self.table_name, self.total_group],
            ).fetchall()
            for key, own_unit, person in rows:
                self.people[(key, own_unit)].add(person)
        found = set()
        for key in keys:
            for member in self.descendants[unit]:
                found |= self.people.get((key, member), set())
        return len(found)


def _min_group_size(con: duckdb.DuckDBPyConnection) -> int:
    return resolved_min_group_size(con.execute(
        "select min_group_size, configured_value from intermediate.int_min_group_size_resolved"
    ).fetchall())


def verdict_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, bool]]:
    """(table_name, cell_group, org_unit_id, suppressed) of every cell about people."""
    cells = con.execute(
        "select table_name, cell_group, within_cell_group, breakdown_key, org_unit_id,"
        " population, weight from intermediate.int_privacy_cells_unioned"
    ).fetchall()
    org_units = con.execute(
        "select org_unit_id, parent_id, depth from intermediate.int_org_units_ranked"
    ).fetchall()
    min_group_size = _min_group_size(con)

    parent_of = {unit: parent for unit, parent, _ in org_units}
    depth_of = {unit: int(depth) for unit, _, depth in org_units}
    descendants = defaultdict(set)
    for unit in parent_of:
        ancestor = unit
        while ancestor is not None:
            descendants[ancestor].add(unit)
            ancestor = parent_of.get(ancestor)

    totals = defaultdict(dict)  # kpi_monthly group -> {unit: population}
    breakdowns = defaultdict(lambda: defaultdict(dict))  # (table, total group) -> key -> cells
    weights = defaultdict(lambda: defaultdict(dict))  # the same, the cells' weights
    group_of = {}  # (table, total group, key) -> cell_group
    for table_name, cell_group, within, key, unit, population, weight in cells:
        if within is None:
            totals[cell_group][unit] = int(population)
        else:
            breakdowns[(table_name, within)][key][unit] = int(population)
            weights[(table_name, within)][key][unit] = int(weight)
            group_of[(table_name, within, key)] = cell_group

    out: list[tuple[str, str, str, bool]] = []

    def emit(table_name, cell_group, population_by_unit, hidden):
        for unit in sorted(population_by_unit):
            out.append((table_name, cell_group, unit, unit in hidden))

    hidden_totals = {}
    for cell_group in sorted(totals):
        hidden = suppressed_units(totals[cell_group], parent_of, depth_of, min_group_size)
        hidden_totals[cell_group] = hidden
        emit("kpi_monthly", cell_group, totals[cell_group], hidden)

    for (table_name, within) in sorted(breakdowns):
        breakdown = breakdowns[(table_name, within)]
        units = set().union(*breakdown.values())
        total_cells = totals.get(within, {})
        # a unit without a total cell counts as hidden: nothing may stand beside it
        total_hidden = hidden_totals.get(within, set()) | (units - set(total_cells))
        covered = PeopleOfBreakdown(con, table_name, within, descendants)
        audited = TotalWithBreakdown(total_cells, breakdown, weights[(table_name, within)],
                                     parent_of, depth_of, min_group_size,
                                     additive_total=table_name in SUM_OF_BREAKDOWN,
                                     mean_link=table_name not in SUM_OF_BREAKDOWN)
        hidden = breakdown_suppressed(audited, total_hidden, parent_of, depth_of,
                                      min_group_size, covered)
        for key in sorted(breakdown):
            emit(table_name, group_of[(table_name, within, key)], breakdown[key], hidden[key])
    return out


def _columns(rows: list[tuple], width: int) -> list[list]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


VERDICT_SELECT = (
    "select unnest($1::varchar[]) as table_name, unnest($2::varchar[]) as cell_group,"
    " unnest($3::varchar[]) as org_unit_id, unnest($4::boolean[]) as suppressed"
)


def write_verdict(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, bool]]) -> None:
    """The verdict as table privacy.cells_suppressed of the database `con` is on (DuckDB)."""
    con.execute(f"create schema if not exists {VERDICT_SCHEMA}")
    con.execute(f"create or replace table {VERDICT_SCHEMA}.{VERDICT_TABLE} ({VERDICT_COLUMNS})")
    con.execute(f"insert into {VERDICT_SCHEMA}.{VERDICT_TABLE} {VERDICT_SELECT}",
                _columns(rows, 4))


def write_verdict_parquet(path: Path, rows: list[tuple[str, str, str, bool]]) -> None:
    """The verdict as one Parquet file (another engine's build reads it from there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({VERDICT_SELECT}) to '{_sql_path(path)}' (format parquet)",
                    _columns(rows, 4))


def derivable_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(total_kpi_id, month, breakdown_key, org_unit_id, kind, people) of every suppressed
    cell, and every own rest of 1..min_group_size - 1 people, that the cells about to be
    published determine (none, or the run must not publish)."""
    cells = con.execute(
        "select total_kpi_id, month, breakdown_key, org_unit_id, population, weight,"
        " suppressed from audit.audit_privacy_cells"
    ).fetchall()
    parent_of = dict(con.execute(
        "select org_unit_id, parent_id from intermediate.int_org_units_ranked").fetchall())
    min_group_size = int(con.execute(
        "select min_group_size from intermediate.int_min_group_size_resolved").fetchone()[0])
    return audit(cells, parent_of, min_group_size)


def write_derivable(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """The audit's findings as audit.audit_privacy_derivable_cells (build database only)."""
    con.execute("create schema if not exists audit")
    con.execute(
        f"create or replace table audit.{AUDIT_TABLE} as select"
        " unnest($1::varchar[]) as total_kpi_id, unnest($2::date[]) as month,"
        " unnest($3::varchar[]) as breakdown_key, unnest($4::varchar[]) as org_unit_id,"
        " unnest($5::varchar[]) as kind, unnest($6::integer[]) as people",
        _columns(rows, 6),
    )


def derivable_message(rows: list[tuple]) -> str:
    """Why the run does not publish (keys only: the people counts stay in the build
    database)."""
    shown = ", ".join(f"{total} {month} {key or '(total)'} {unit} ({kind})"
                      for total, month, key, unit, kind, _ in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return (
        f"privacy audit: {len(rows)} suppressed cells or small own rests can be computed "
        f"from the cells about to be published: {shown}{more} (audit.{AUDIT_TABLE} in the "
        "build database); nothing of this run is published"
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def parquet_views(con: duckdb.DuckDBPyConnection, tables_dir: Path,
                  relations: tuple[tuple[str, str], ...]) -> None:
    """Views `<schema>.<model>` over the Parquet files of another engine's tables, which lie
    in `tables_dir/<schema>.db/<model>/` (Spark's warehouse layout)."""
    for schema, model in relations:
        con.execute(f"create schema if not exists {schema}")
        files = _sql_path(tables_dir / f"{schema}.db" / model / "*.parquet")
        con.execute(f"create or replace view {schema}.{model} as"
                    f" select * from read_parquet('{files}')")
