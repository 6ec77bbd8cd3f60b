"""The Dagster definitions load and wire the flow the architecture describes."""

import json
import subprocess
import sys

import dagster as dg


def test_definitions_load_with_the_whole_flow():
    from dagster_project.defs.definitions import defs

    job = defs.resolve_job_def("leitstand")
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {"raw/erp_orders", "raw/org_units", "marts/kpi_monthly", "publish"} <= keys
    graph = defs.resolve_asset_graph()
    # publish sits downstream of the marts, which sit downstream of the raw tables
    assert dg.AssetKey(["marts", "kpi_monthly"]) in graph.get(dg.AssetKey("publish")).parent_keys
    upstream = graph.upstream_key_iterator(dg.AssetKey(["marts", "kpi_monthly"]))
    assert dg.AssetKey(["raw", "erp_orders"]) in set(upstream)
    assert job is not None


def test_dbt_holds_back_the_events_of_tables_and_of_what_depends_on_them():
    """A table's events wait for its row count; Dagster takes a multi-asset's outputs only in
    graph order, so whatever depends on a table (or a seed) waits too; the rest streams."""
    from dagster_project.defs.assets.dbt import dbt_models
    from dagster_project.transform.build import held_keys

    held = {k.to_user_string() for k in held_keys(dbt_models)}
    assert {"marts/kpi_monthly", "staging/kpi_catalog", "intermediate/int_orders_counted"} <= held
    assert "staging/stg_config__channel_map" in held  # a view reading a seed
    assert "intermediate/int_digital_order_share_rolled_up" in held  # a view reading a table
    assert "staging/stg_erp_orders__orders" in held  # reads the channel map seed
    assert "intermediate/int_enps_rolled_up" not in held
    assert "staging/stg_it_usage__activity" not in held
    graph = dbt_models.asset_deps
    for key in dbt_models.keys - held_keys(dbt_models):
        assert not graph[key] & held_keys(dbt_models), key


def test_the_definitions_load_dagster_dbt_without_dbt_core():
    """dbt builds in a process of its own, so the pipeline's process takes dagster-dbt's
    path without dbt-core (transform/dbt_import.py): loading the definitions imports no module of
    dbt's (~1 s of every run's start), and dbt can still be imported afterwards. Run in a
    process of its own: this one may have imported dbt already."""
    script = (
        "import json, sys\n"
        "import dagster_project.defs.definitions\n"
        "from dagster_dbt.compat import DBT_PYTHON_VERSION\n"
        "loaded = sorted(m for m in sys.modules if m == 'dbt' or m.startswith('dbt.'))\n"
        "import dbt.version\n"
        "print(json.dumps([loaded, DBT_PYTHON_VERSION is None, bool(dbt.version.__version__)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.splitlines()[-1]) == [[], True, True]
