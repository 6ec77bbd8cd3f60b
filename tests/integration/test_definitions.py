"""The Dagster definitions load and wire the flow the architecture describes."""

import dagster as dg


def test_definitions_load_with_the_whole_flow():
    from dagster_project.definitions import defs

    job = defs.resolve_job_def("leitstand")
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {"raw/erp_orders", "raw/org_units", "marts/kpi_monthly", "publish"} <= keys
    graph = defs.resolve_asset_graph()
    # publish sits downstream of the marts, which sit downstream of the raw tables
    assert dg.AssetKey(["marts", "kpi_monthly"]) in graph.get(dg.AssetKey("publish")).parent_keys
    upstream = graph.upstream_key_iterator(dg.AssetKey(["marts", "kpi_monthly"]))
    assert dg.AssetKey(["raw", "erp_orders"]) in set(upstream)
    assert job is not None
