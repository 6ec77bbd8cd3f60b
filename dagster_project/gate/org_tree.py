"""The org tree must be a tree (docs/sources.md, bad input): a cycle in
`config/org_units.csv` blocks the run with the units of each cycle named in order
("VW-FI → VW-IT → VW-FI"), before any KPI is computed.

Unknown parents and the number of roots are checked by the `raw.org_units` suite; a unit
caught in a cycle never reaches the root, so every KPI of it would be wrong or missing
(and dbt's recursive walk of the tree would stop at its depth limit).
"""

from __future__ import annotations

import duckdb

from dagster_project.core.db import table_exists
from dagster_project.gate.results import ERROR, GateResult

ORG_TREE_CHECK = "org_tree"
ORG_UNITS = "org_units"


def find_cycles(parent_of: dict[str, str | None]) -> list[list[str]]:
    """Each cycle once, as the units in parent order from its smallest id back to it."""
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(parent_of):
        path: list[str] = []
        seen: dict[str, int] = {}
        unit: str | None = start
        while unit is not None and unit in parent_of and unit not in done:
            if unit in seen:
                loop = path[seen[unit]:]
                first = loop.index(min(loop))
                cycles.append(loop[first:] + loop[:first] + [min(loop)])
                break
            seen[unit] = len(path)
            path.append(unit)
            unit = parent_of[unit]
        done.update(path)
    return cycles


def org_tree_result(con: duckdb.DuckDBPyConnection) -> GateResult:
    """Block when a unit is its own ancestor; name the units of every cycle."""
    parent_of: dict[str, str | None] = {}
    rows_of: dict[str, int] = {}
    if table_exists(con, f"raw.{ORG_UNITS}"):
        for unit, parent, row in con.execute(
                f"select trim(org_unit_id), nullif(trim(parent_id), ''), _row_number "
                f"from raw.{ORG_UNITS} where org_unit_id is not null").fetchall():
            parent_of[unit] = parent
            rows_of[unit] = row
    cycles = find_cycles(parent_of)
    if not cycles:
        return GateResult(ORG_TREE_CHECK, ORG_UNITS, ERROR, True, "no cycle", "no cycle",
                          "config/org_units.csv: every unit reaches the root")
    named = "; ".join(" → ".join(cycle) for cycle in cycles)
    rows = ", ".join(f"{u} (row {rows_of[u]})" for cycle in cycles for u in cycle[:-1])
    count = len(cycles)
    return GateResult(
        ORG_TREE_CHECK, ORG_UNITS, ERROR, False, f"{count} cycle{'s' if count > 1 else ''}",
        "no cycle",
        f"config/org_units.csv: the org tree has {'a cycle' if count == 1 else f'{count} cycles'}"
        f" — {named}: these units never reach the root ({rows}). Fix: give one unit of each "
        "cycle a parent outside it (or the root) in config/org_units.csv and run again",
    )
