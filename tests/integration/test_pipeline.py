"""A full pipeline run on the generated sample company: it publishes the planted truths."""

from __future__ import annotations

import duckdb
import pandas as pd

PUBLISHED_TABLES = {
    "marts.kpi_monthly", "marts.kpi_status", "marts.kpi_definitions",
    "marts.maturity_by_dimension", "marts.org_units", "marts.actions",
    "dq.quarantine", "dq.gate_results", "meta.publication",
}


def _published(run, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.published_db), read_only=True) as con:
        return con.sql(sql).df()


def test_run_publishes(pipeline_run):
    assert pipeline_run.outcome.published, pipeline_run.outcome.report()
    tables = _published(
        pipeline_run,
        "select table_schema || '.' || table_name as t from information_schema.tables",
    )
    assert PUBLISHED_TABLES <= set(tables.t)
    pub = _published(pipeline_run, "select * from meta.publication")
    assert len(pub) == 1 and pub.run_id[0] == pipeline_run.outcome.run_id
    assert pub.rows_loaded[0] > 0 and pub.files_loaded[0] > 0


def test_digital_order_share_matches_planted_truth_for_every_unit_and_month(pipeline_run, sample_company):
    from tests.oracle import expected_kpi_monthly

    _, company = sample_company
    expected = expected_kpi_monthly(company.raw_frames())
    expected = expected[expected.kpi_id == "digital_order_share"]
    got = _published(
        pipeline_run,
        "select * from marts.kpi_monthly where kpi_id = 'digital_order_share'",
    )
    assert len(expected) > 200  # every unit, every month
    merged = expected.merge(got, on=["kpi_id", "month", "org_unit_id"], how="outer",
                            suffixes=("_exp", "_got"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for col in ("value", "numerator", "denominator"):
        diff = (merged[f"{col}_exp"] - merged[f"{col}_got"]).abs()
        assert (diff < 1e-9).all(), merged.loc[diff >= 1e-9, ["month", "org_unit_id", f"{col}_exp", f"{col}_got"]]
