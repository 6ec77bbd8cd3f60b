"""Tiny hand-made raw layers for the oracle's own tests."""

from __future__ import annotations

import pandas as pd
import pytest

from dagster_project.sample.company import RAW_COLUMNS, typed_frame

# A tree of its own (not the sample's): the tests below name its units.
ORG = [("FIRMA", "Firma", None), ("MARKT", "Vertrieb", "FIRMA"), ("NORD", "Inland", "MARKT"),
       ("SUED", "Export", "MARKT"), ("ZENTRALE", "Verwaltung", "FIRMA"),
       ("HR", "Personal", "ZENTRALE"), ("EDV", "IT", "ZENTRALE"), ("FIBU", "Finanzen", "ZENTRALE")]


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = [c for c, _ in RAW_COLUMNS[table]]
    return typed_frame(table, pd.DataFrame(rows, columns=columns))


@pytest.fixture
def make_raw():
    """`make_raw(erp_orders=[{...}], ...)` -> a full raw layer, other tables empty."""
    def build(**tables: list[dict]) -> dict[str, pd.DataFrame]:
        raw = {name: frame(name, []) for name in RAW_COLUMNS}
        raw["org_units"] = frame("org_units", [dict(zip(("org_unit_id", "name", "parent_id"), o,
                                                        strict=True)) for o in ORG])
        for name, rows in tables.items():
            raw[name] = frame(name, rows)
        return raw
    return build
