"""dbt models report their row counts as Dagster metadata (read after the build)."""

import dagster as dg
import duckdb

from dagster_project.transform.build import table_row_counts, with_row_count


def test_tables_are_counted_and_views_are_not_run(tmp_path):
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts; create table marts.kpi_monthly as select * from range(3)")
        con.execute("create schema staging; create view staging.v as select * from range(5)")
        assert table_row_counts(con) == {("marts", "kpi_monthly"): 3}


def test_outputs_of_counted_tables_carry_the_count():
    key = dg.AssetKey(["marts", "kpi_monthly"])
    counts = {("marts", "kpi_monthly"): 3}
    output = dg.Output(None, output_name="marts__kpi_monthly", metadata={"unique_id": "m"})
    counted = with_row_count(output, counts, {"marts__kpi_monthly": key})
    assert counted.metadata["dagster/row_count"] == dg.MetadataValue.int(3)
    assert counted.metadata["unique_id"] == output.metadata["unique_id"]
    other = dg.Output(None, output_name="staging__v")
    assert with_row_count(other, counts, {"staging__v": dg.AssetKey(["staging", "v"])}) is other
    check = dg.AssetCheckResult(asset_key=key, check_name="not_null", passed=True)
    assert with_row_count(check, counts, {}) is check
