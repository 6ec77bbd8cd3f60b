"""The generated sample company through the ingest: raw tables equal its clean truth.

The generator (dagster_project/sample) plants bad rows, exact duplicates, a corrected
re-export and identifier columns, and records what a correct ingest must produce; this test
holds the ingest to exactly that, then runs it a second time.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dagster_project.ingest.loader import CONFIG_TABLES, MAPPING_TABLES, SOURCES

from .conftest import load_all, raw_state


@pytest.fixture(scope="module")
def ingested(sample_company, tmp_path_factory):
    sources, company = sample_company
    db = tmp_path_factory.mktemp("ingest") / "build.duckdb"
    con = duckdb.connect(str(db))
    results = load_all(con, sources, "run-1")
    yield con, company, {r.source: r for r in results}, db, sources
    con.close()


# the raw tables a load of the sample builds: the mapping tables only where there is a file
BUILT = [n for n in SOURCES + CONFIG_TABLES if n not in MAPPING_TABLES]


def _sorted(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return frame.sort_values(key).reset_index(drop=True)


@pytest.mark.parametrize("name", SOURCES + CONFIG_TABLES)
def test_raw_table_equals_the_clean_truth(ingested, name):
    from dagster_project.sample.company import RAW_COLUMNS, SOURCE_KEYS

    con, company, results, _, _ = ingested
    if name not in RAW_COLUMNS:  # an optional config file the sample company has no use for
        assert (results[name].rows_total, results[name].rejected_files) == (0, [])
        return
    columns = [c for c, _ in RAW_COLUMNS[name]]
    got = con.execute(f"select {', '.join(columns)} from raw.{name}").df()
    key = {"survey_responses": ["response_id", "question_id"]}.get(
        name, SOURCE_KEYS.get(name, columns))
    pd.testing.assert_frame_equal(_sorted(got, key), _sorted(company.raw[name][columns], key),
                                  check_dtype=False)
    assert results[name].rejected_files == []


def test_exactly_the_planted_rows_are_quarantined(ingested):
    con, company, results, _, _ = ingested
    got = set(con.execute(
        "select source, file_name, row_number, column_name from dq.quarantine").fetchall())
    expected = {(q.source, q.file_name, q.row_number, q.column)
                for q in company.expected_quarantine}
    assert got == expected
    collapsed = {}
    for row in company.collapsed_duplicates:
        collapsed[row.source] = collapsed.get(row.source, 0) + 1
    assert {s: r.duplicates_collapsed for s, r in results.items()
            if r.duplicates_collapsed} == collapsed


def test_identifier_values_of_the_hr_export_are_nowhere_in_the_database(ingested):
    import openpyxl

    con, _, results, db, sources = ingested
    dropped = {h for _, h in results["hr_employees"].dropped_columns}
    assert dropped
    secrets: set[str] = set()
    for path in sorted((sources / "hr_employees").glob("*.xlsx")):
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        header_index = next(i for i, r in enumerate(rows) if any(c in dropped for c in r))
        header = rows[header_index]
        for row in rows[header_index + 1:]:
            secrets |= {str(v) for h, v in zip(header, row, strict=False)
                        if h in dropped and v and len(str(v)) > 3}
    assert secrets
    con.execute("checkpoint")
    blob = db.read_bytes()
    stored = set()
    for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'").fetchall():
        stored |= {v for (v,) in con.execute(
            f'select distinct "{column}" from "{schema}"."{table}"').fetchall() if v}
    emails = {s for s in secrets if "@" in s}
    assert emails
    assert not (secrets & stored)
    assert not any(s.encode() in blob for s in emails)


def test_a_second_run_reads_nothing_and_changes_nothing(ingested):
    con, _, first, _, sources = ingested
    before = {n: con.execute(f"select * from raw.{n}").fetchall()
              for n in BUILT}
    quarantine = con.execute("select * from dq.quarantine").fetchall()
    again = load_all(con, sources, "run-2")
    assert all(r.files_read == 0 for r in again)
    assert {n: con.execute(f"select * from raw.{n}").fetchall()
            for n in BUILT} == before
    assert con.execute("select * from dq.quarantine").fetchall() == quarantine


def _ingest(sources, db) -> dict[str, list[tuple]]:
    """Every raw table (`raw_state`), the quarantine and the registry's counts after loading
    `sources` into a new database `db`."""
    con = duckdb.connect(str(db))
    load_all(con, sources, "run-1")
    out = raw_state(con, BUILT)
    out["meta.loaded_files"] = con.execute(
        "select source, file_name, rows, rows_skipped, duplicates_collapsed "
        "from meta.loaded_files order by all").fetchall()
    con.close()
    return out


def test_fields_typed_once_per_distinct_cell_give_what_typing_every_cell_gives(
        sample_company, tmp_path, monkeypatch):
    """Large batches type the fields whose cells repeat once per distinct cell
    (`parse.lookup_fields`); the sample's batches are small. Typed so, every field of every
    source — empty cells, defaults, bad values and their reasons included — gives the
    same raw tables, quarantine and counts as typing every cell."""
    from dagster_project.ingest import parse

    sources, _ = sample_company
    monkeypatch.setattr(parse, "lookup_fields", lambda con, c, chosen=None: [])
    in_place = _ingest(sources, tmp_path / "in_place.duckdb")
    asked: list[str] = []  # the typing asks which fields to look up (else both typed in place)
    monkeypatch.setattr(parse, "lookup_fields",
                        lambda con, c, chosen=None: asked.append(c.name) or list(c.fields))
    looked_up = _ingest(sources, tmp_path / "looked_up.duckdb")
    assert in_place["dq.quarantine"] and in_place["erp_orders"]
    assert {"erp_orders", "crm_interactions", "it_usage", "hr_employees"} <= set(asked)
    assert looked_up == in_place


def test_a_field_is_looked_up_when_its_cells_repeat_in_a_large_batch(monkeypatch):
    from dagster_project.ingest import parse
    from dagster_project.ingest.contracts import contract

    c = contract("erp_orders")
    con = duckdb.connect()
    cells = ", ".join(
        {"order_id": "'AU-' || i", "net_amount": "(i * 7 % 100003)::varchar",
         "order_date": "(i % 28 + 1) || '.01.2025'", "status": "'offen'"}.get(
            f.name, "null") + f" as s__{f.name}" for f in c.fields)
    con.execute(f"create temp table _staged as select i + 1 as _row_number, {cells} "
                "from range(60000) t(i)")
    repeating = [f.name for f in c.fields if f.name not in ("order_id", "net_amount")]
    assert [f.name for f in parse.lookup_fields(con, c)] == repeating

    # a load's later batches take the choice of its first large one
    chosen = {}
    assert [f.name for f in parse.lookup_fields(con, c, chosen)] == repeating
    assert [f.name for f in chosen["erp_orders"]] == repeating
    con.execute("create or replace temp table _staged as select i + 1 as _row_number, "
                + ", ".join(f"'{f.name}-' || i as s__{f.name}" for f in c.fields)
                + " from range(60000) t(i)")  # every cell distinct
    assert parse.lookup_fields(con, c) == []
    assert [f.name for f in parse.lookup_fields(con, c, chosen)] == repeating
    monkeypatch.setattr(parse, "LOOKUP_MIN_ROWS", 60001)  # a small batch: none
    assert parse.lookup_fields(con, c) == []
    assert parse.lookup_fields(con, c, chosen) == []
