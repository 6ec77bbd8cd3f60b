"""The privacy audit of a published file: its people cells, the truth behind them (from the
oracle's own reading of the raw layer), and the relations between them (derivable.py)."""

from __future__ import annotations

import duckdb
import pandas as pd

from .derivable import Cell, Relations, leaks
from .kpis import (
    _min_group_size,
    dimension_cells,
    survey_kpis,
    tool_adoption_rate,
    tool_cells,
    training_coverage,
)
from .org import OrgTree


def _flags(con: duckdb.DuckDBPyConnection, sql: str, keys: list[str]) -> dict[tuple, bool]:
    frame = con.sql(sql).df()
    for key in keys:
        if key == "month":
            frame[key] = pd.to_datetime(frame[key])
    return {tuple(row[:-1]): bool(row[-1])
            for row in frame[keys + ["suppressed"]].itertuples(index=False)}


def _cells(truth: pd.DataFrame, flags: dict[tuple, bool], keys: list[str],
           weight: str | None = None) -> dict[str, Cell]:
    cells = {}
    for row in truth.itertuples(index=False):
        key = tuple(getattr(row, k) for k in keys)
        if key not in flags:
            raise AssertionError(f"the published file has no cell {key}")
        cells[row.org_unit_id] = Cell(row.people, flags[key],
                                      1 if weight is None else int(getattr(row, weight)))
    return cells


def published_relations(con: duckdb.DuckDBPyConnection, raw: dict) -> Relations:
    """The people cells of the published file `con`, with the truth of `raw` behind them."""
    tree = OrgTree(raw["org_units"])
    relations = Relations(tree)
    kpi_flags = _flags(con, "select kpi_id, month, org_unit_id, suppressed from "
                       "marts.kpi_monthly", ["kpi_id", "month", "org_unit_id"])
    kpi = pd.DataFrame([c for f in (tool_adoption_rate, training_coverage, survey_kpis)
                        for c in f(raw, tree, None)])
    kpi["month"] = pd.to_datetime(kpi.month)
    for (kpi_id, month), group in kpi.groupby(["kpi_id", "month"]):
        relations.add_group(("kpi", kpi_id, month),
                            _cells(group, kpi_flags, ["kpi_id", "month", "org_unit_id"]),
                            additive=kpi_id != "digital_maturity_index")

    tool_flags = _flags(con, "select month, org_unit_id, tool, suppressed from "
                        "marts.tool_adoption", ["month", "org_unit_id", "tool"])
    tools = tool_cells(raw, tree)
    tools["month"] = pd.to_datetime(tools.month)
    for month, in_month in tools.groupby("month"):
        parts = []
        for tool_key, group in in_month.groupby("tool_key"):
            parts.append(("tool", tool_key, month))
            relations.add_group(parts[-1],
                                _cells(group, tool_flags, ["month", "org_unit_id", "tool"]))
        relations.link(("kpi", "tool_adoption_rate", month), parts)

    dimension_flags = _flags(con, "select wave, org_unit_id, dimension, suppressed from "
                             "marts.maturity_by_dimension", ["wave", "org_unit_id", "dimension"])
    dimensions = dimension_cells(raw, tree)
    dimensions["month"] = pd.to_datetime(dimensions.month)
    for (wave, month), in_wave in dimensions.groupby(["wave", "month"]):
        parts = []
        for dimension, group in in_wave.groupby("dimension"):
            parts.append(("dimension", wave, dimension))
            relations.add_group(parts[-1], _cells(group, dimension_flags,
                                                  ["wave", "org_unit_id", "dimension"],
                                                  weight="answers"))
        relations.link(("kpi", "digital_maturity_index", month), parts, mean=True)
    return relations


def audit_published(path, raw: dict) -> tuple[Relations, list]:
    """The relations of the published file at `path` and what they leak."""
    with duckdb.connect(str(path), read_only=True) as con:
        relations = published_relations(con, raw)
    return relations, leaks(relations, _min_group_size(raw, None))
