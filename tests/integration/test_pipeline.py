"""A full pipeline run on the generated sample company: it publishes the planted truths.

Two independent references: the cells the generator fixed by construction
(`Company.planted`), and the pandas oracle in `tests/oracle` read straight from docs/kpis.md over
the generator's clean truth. The published file must agree with both, cell by cell.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.oracle import (
    expected_kpi_monthly,
    expected_kpi_status,
    expected_maturity_by_dimension,
    expected_tool_adoption,
)

PUBLISHED_TABLES = {
    "marts.kpi_monthly", "marts.kpi_status", "marts.kpi_definitions",
    "marts.maturity_by_dimension", "marts.org_units", "marts.actions",
    "marts.tool_adoption", "marts.projects", "marts.milestones",
    "dq.quarantine", "dq.gate_results", "meta.publication",
}
MONTHS = pd.date_range("2024-11-01", "2026-10-01", freq="MS")


def _published(run, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.published_db), read_only=True) as con:
        return con.sql(sql).df()


def _assert_same_cells(expected: pd.DataFrame, got: pd.DataFrame, keys: list[str],
                       numbers: list[str], others: tuple[str, ...] = ()) -> None:
    """Every expected row is published and no other; numbers equal up to the order of
    float summation, NULL as NULL."""
    for frame in (expected, got):
        for key in keys:
            if key in ("month", "target_date", "data_as_of"):
                frame[key] = pd.to_datetime(frame[key]).astype("datetime64[us]")
    merged = expected.merge(got, on=keys, how="outer", suffixes=("_exp", "_got"), indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    sample = unmatched[keys + ["_merge"]].head(10)
    assert unmatched.empty, f"{len(unmatched)} cells only on one side:\n{sample}"
    for col in numbers:
        exp = merged[f"{col}_exp"].astype("float64").to_numpy()
        act = merged[f"{col}_got"].astype("float64").to_numpy()
        same = np.isclose(exp, act, rtol=1e-12, atol=1e-9) | (np.isnan(exp) & np.isnan(act))
        shown = keys + [f"{col}_exp", f"{col}_got"]
        assert same.all(), f"{col} differs:\n{merged.loc[~same, shown].head(10)}"
    for col in others:
        exp = merged[f"{col}_exp"].astype("object").where(merged[f"{col}_exp"].notna(), None)
        act = merged[f"{col}_got"].astype("object").where(merged[f"{col}_got"].notna(), None)
        differs = [(e != a) for e, a in zip(exp, act, strict=True)]
        shown = keys + [f"{col}_exp", f"{col}_got"]
        assert not any(differs), f"{col} differs:\n{merged.loc[differs, shown].head(10)}"


@pytest.fixture(scope="module")
def truth(sample_company):
    _, company = sample_company
    return company


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


def test_the_publication_holds_its_own_runs_dbt_test_results(pipeline_run):
    """dq.gate_results as published has the run's dbt tests beside its gate checks (they
    used to be recorded after the run, so a publication carried the previous run's)."""
    run_id = pipeline_run.outcome.run_id
    published = _published(pipeline_run, "select check_name, passed from dq.gate_results "
                           f"where run_id = '{run_id}' and check_name like 'dbt:%'")
    with duckdb.connect(str(pipeline_run.data_dir / "build.duckdb"), read_only=True) as con:
        recorded = con.execute("select count(*) from dq.gate_results where run_id = ? and "
                               "check_name like 'dbt:%'", [run_id]).fetchone()[0]
    assert len(published) == recorded >= 60 and published.passed.all()


def test_digital_order_share_is_the_planted_truth_for_every_unit_and_month(pipeline_run, truth):
    """The generator fixed numerator and denominator of every sales unit and month; the
    pipeline must publish exactly those, and for every unit above them the sums."""
    got = _published(
        pipeline_run,
        "select month, org_unit_id, value, numerator, denominator"
        " from marts.kpi_monthly where kpi_id = 'digital_order_share'",
    )
    planted = truth.planted[truth.planted.kpi_id == "digital_order_share"].copy()
    # every month of every unit that takes orders was planted
    assert len(planted) == len(MONTHS) * planted.org_unit_id.nunique()
    assert set(truth.raw["erp_orders"].org_unit_id) == set(planted.org_unit_id)

    # the units above the sales units hold the sums of their children
    parents = truth.raw["org_units"].set_index("org_unit_id").parent_id.dropna().to_dict()
    rows = []
    for _, cell in planted.iterrows():
        unit = cell.org_unit_id
        while unit is not None:
            rows.append((cell.month, unit, cell.numerator, cell.denominator))
            unit = parents.get(unit)
    sums = (pd.DataFrame(rows, columns=["month", "org_unit_id", "numerator", "denominator"])
            .groupby(["month", "org_unit_id"], as_index=False).sum())
    sums["value"] = sums.numerator / sums.denominator
    # every month of each unit that takes orders and of every unit above one
    assert len(sums) == len(MONTHS) * len({unit for _, unit, _, _ in rows})
    _assert_same_cells(sums, got, ["month", "org_unit_id"], ["value", "numerator", "denominator"])

    headline = truth.facts["headline"]
    cell = got[(got.org_unit_id == headline["org_unit_id"])
               & (got.month == pd.Timestamp(headline["month"] + "-01"))]
    assert cell.value.tolist() == [0.375]


def test_every_published_kpi_cell_matches_the_oracle(pipeline_run, truth):
    expected = expected_kpi_monthly(truth.raw_frames(), min_group_size=None)
    got = _published(pipeline_run, "select * from marts.kpi_monthly")
    assert set(expected.kpi_id) == set(got.kpi_id) and len(set(got.kpi_id)) == 13
    assert expected.suppressed.any()  # the privacy rule is exercised by the sample
    _assert_same_cells(expected, got, ["kpi_id", "month", "org_unit_id"],
                       ["value", "numerator", "denominator", "population"], ("suppressed",))


def test_kpi_status_matches_the_oracle(pipeline_run, truth):
    expected = expected_kpi_status(truth.raw_frames(), min_group_size=None)
    got = _published(pipeline_run, "select * from marts.kpi_status")
    assert {"green", "amber", "red", "no_target"} <= set(got.status)
    _assert_same_cells(
        expected, got, ["kpi_id", "org_unit_id"],
        ["value", "baseline_value", "target_value", "expected_value", "tolerance", "progress",
         "trend_3m", "forecast_at_target_date", "red_below", "amber_below"],
        ("status", "month", "target_date", "data_as_of"),
    )
    assert got.red_below.sum() > 0  # the sample has red units below others


def test_maturity_by_dimension_matches_the_oracle(pipeline_run, truth):
    expected = expected_maturity_by_dimension(truth.raw_frames(), min_group_size=None)
    got = _published(pipeline_run, "select * from marts.maturity_by_dimension")
    assert got.dimension.nunique() == 6
    _assert_same_cells(expected, got, ["wave", "dimension", "org_unit_id"],
                       ["score", "population"], ("month", "suppressed"))


def test_a_unit_too_small_on_its_own_takes_a_sibling_with_it(pipeline_run, truth):
    """The generator plants siblings of fixed headcounts, one of them below the minimum
    group size: it is hidden, and a sibling that is not too small must go too, or the
    parent minus the visible siblings would give it away. Checked on the latest month of
    tool adoption, where all the cells exist; the units come from the planted facts."""
    from tests.oracle.channels import ChannelMap
    from tests.oracle.kpis import _min_group_size, tool_adoption_rate
    from tests.oracle.org import OrgTree

    raw = truth.raw_frames()
    minimum = _min_group_size(raw, None)
    fixed = truth.facts["fixed_headcount"]
    parents = raw["org_units"].set_index("org_unit_id").parent_id.to_dict()
    (parent,) = {parents[unit] for unit in fixed}  # planted as siblings
    (small,) = [unit for unit, people in fixed.items() if people < minimum]
    cells = pd.DataFrame(tool_adoption_rate(raw, OrgTree(raw["org_units"]),
                                            ChannelMap(raw["channels"])))
    latest = cells[cells.month == cells.month.max()].set_index("org_unit_id")
    people = latest.people.map(len)
    assert people[small] < minimum <= min(people[u] for u in fixed if u != small)
    units = [parent, *fixed]
    got = _published(
        pipeline_run,
        f"""
        select org_unit_id, suppressed, value, numerator, denominator, population
        from marts.kpi_monthly
        where kpi_id = 'tool_adoption_rate'
            and month = (select max(month) from marts.kpi_monthly
                         where kpi_id = 'tool_adoption_rate')
            and org_unit_id in ({", ".join(f"'{u}'" for u in units)})
        """,
    ).set_index("org_unit_id")
    assert set(got.index) == set(units)
    hidden = got.index[got.suppressed].tolist()
    assert small in hidden and not got.suppressed[parent]
    assert len(set(hidden) & set(fixed)) >= 2  # the secondary suppression
    values = got.loc[hidden, ["value", "numerator", "denominator", "population"]]
    assert values.isna().all().all()
    # what is published leaves 0 or at least the minimum unexplained below the parent
    visible = got.population[[u for u in fixed if u not in hidden]].sum()
    assert got.population[parent] - visible >= minimum


def test_a_second_run_over_the_same_folder_publishes_the_same_kpis(copied_run):
    from tests.conftest import run_pipeline_in

    tables = ["marts.kpi_monthly", "marts.kpi_status", "marts.maturity_by_dimension",
              "dq.quarantine"]
    before = {t: _published(copied_run, f"select * from {t} order by all") for t in tables}
    outcome = run_pipeline_in(copied_run.sources_dir, copied_run.data_dir)
    assert outcome.published, outcome.report()
    publications = _published(
        copied_run, "select run_id from meta.publication order by published_at"
    )
    assert publications.run_id.tolist() == [copied_run.outcome.run_id, outcome.run_id]
    for table in tables:
        after = _published(copied_run, f"select * from {table} order by all")
        pd.testing.assert_frame_equal(before[table], after, check_exact=True, obj=table)


def test_tool_adoption_per_tool_matches_the_oracle(pipeline_run, truth):
    expected = expected_tool_adoption(truth.raw_frames(), min_group_size=None)
    got = _published(pipeline_run, "select * from marts.tool_adoption")
    assert got.tool.nunique() >= 3 and got.suppressed.any() and not got.suppressed.all()
    _assert_same_cells(expected, got, ["month", "org_unit_id", "tool"],
                       ["value", "numerator", "denominator", "population"], ("suppressed",))
    # no tool cell is published where the unit's KPI cell is hidden
    hidden = _published(
        pipeline_run,
        "select t.month, t.org_unit_id from marts.tool_adoption as t"
        " join marts.kpi_monthly as k on k.kpi_id = 'tool_adoption_rate'"
        " and k.month = t.month and k.org_unit_id = t.org_unit_id"
        " where k.suppressed and not t.suppressed",
    )
    assert hidden.empty


def test_projects_and_milestones_as_of_the_latest_report(pipeline_run, truth):
    raw = truth.raw_frames()
    reports = raw["projects"].sort_values("status_date").groupby("project_id").tail(1)
    expected = reports.assign(
        cpi=lambda f: (f.percent_complete / 100 * f.budget_eur / f.cost_to_date_eur)
        .where(f.cost_to_date_eur != 0),
    )
    expected["eac_eur"] = (expected.budget_eur / expected.cpi).where(expected.cpi != 0)
    expected = expected[["project_id", "status_date", "budget_eur", "cost_to_date_eur",
                         "percent_complete", "cpi", "eac_eur", "org_unit_id"]]
    got = _published(pipeline_run, "select * from marts.projects")
    _assert_same_cells(expected, got, ["project_id"],
                       ["budget_eur", "cost_to_date_eur", "percent_complete", "cpi", "eac_eur"],
                       ("status_date", "org_unit_id"))

    as_of = pd.Timestamp(truth.facts["milestone_as_of"])
    milestones = raw["project_milestones"]
    done = milestones.actual_date.notna()
    expected_status = pd.Series("open", index=milestones.index)
    expected_status[done & (milestones.actual_date <= milestones.planned_date)] = "done_on_time"
    expected_status[done & (milestones.actual_date > milestones.planned_date)] = "done_late"
    expected_status[~done & (milestones.planned_date < as_of)] = "overdue"
    expected = milestones[["project_id", "milestone_id"]].assign(status=expected_status)
    got = _published(pipeline_run, "select project_id, milestone_id, status, as_of_date"
                                   " from marts.milestones")
    assert (got.as_of_date == as_of).all()
    assert {"done_on_time", "done_late", "overdue", "open"} == set(got.status)
    _assert_same_cells(expected, got.drop(columns="as_of_date"), ["project_id", "milestone_id"],
                       [], ("status",))


def test_dbt_keeps_its_artifacts_in_the_data_dir(pipeline_run):
    """One dbt folder per data dir, overwritten by each run: nothing piles up per run in
    the repo's `dbt/target/` (dagster-dbt's default is a new 7 MB folder per run)."""
    from dagster_project.core.settings import DBT_PROJECT_DIR

    run_id = pipeline_run.outcome.run_id
    target = pipeline_run.data_dir / "dbt"
    assert (target / "dagster_run_id").read_text(encoding="utf-8") == run_id
    assert (target / "run_results.json").is_file()
    assert (target / "partial_parse.msgpack").is_file()  # what the next run parses from
    assert not list((DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*"))


def test_the_first_run_builds_in_the_dbt_process_that_parsed_beside_the_ingest(pipeline_run):
    """A dbt process started with the run parses beside the ingest, starting from the parse
    state `make setup` left (it parses with setup's values of the profile's variables), and
    `dbt build` runs in it on the manifest it parsed (transform/warm.py)."""
    import json

    invocations: dict[str, list[dict]] = {}
    for line in (pipeline_run.data_dir / "dbt" / "dbt.log").read_text().splitlines():
        event = json.loads(line)  # both dbt invocations of this run log JSON lines
        invocations.setdefault(event["info"]["invocation_id"], []).append(event)
    commands = {
        next(e["data"]["args"]["invocation_command"].split()[1]  # dbt <command> …
             for e in events if e["info"]["name"] == "MainReportArgs"):
        ({e["info"]["name"] for e in events}, {e["info"]["pid"] for e in events})
        for events in invocations.values()
    }
    assert set(commands) == {"parse", "build"}
    (parse_events, parse_pids), (build_events, build_pids) = commands["parse"], commands["build"]
    # the data dir had no parse state: the one `make setup` left was checked, not rebuilt
    assert "PartialParsingEnabled" in parse_events
    assert "UnableToPartialParse" not in parse_events
    assert build_pids == parse_pids  # one process
    # the build neither parsed nor even looked at the parse state: it had the manifest
    assert not {"UnableToPartialParse", "PartialParsingEnabled"} & build_events
    assert "ArtifactWritten" in build_events and "EndOfRunSummary" in build_events


def test_dbt_events_reach_dagster_while_dbt_builds_and_tables_carry_row_counts(pipeline_run):
    """A view's materialization is stored while dbt goes on building (it used to wait for
    the end of the build); a table's waits for the end and carries the table's row count."""
    import datetime as dt
    import json

    stored = {
        e.dagster_event.asset_key.to_user_string(): e for e in pipeline_run.events
        if e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"
    }
    results = json.loads((pipeline_run.data_dir / "dbt" / "run_results.json").read_text())
    dbt_done = max(
        dt.datetime.fromisoformat(t["completed_at"].replace("Z", "+00:00")).timestamp()
        for r in results["results"] for t in r["timing"] if t["name"] == "execute"
    )
    assert stored["staging/stg_it_usage__activity"].timestamp < dbt_done
    table = stored["marts/kpi_monthly"]
    assert table.timestamp > dbt_done
    with duckdb.connect(str(pipeline_run.data_dir / "build.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*) from marts.kpi_monthly").fetchone()[0]
    assert table.dagster_event.materialization.metadata["dagster/row_count"].value == rows > 0


def test_the_fixed_cost_bench_reads_each_dbt_invocation_of_the_run(pipeline_run):
    """`python -m bench.fixed` reports dbt's own seconds and nodes per invocation from the
    run's dbt.log: the parse, then the builds, whose nodes together are those the run's
    run_results.json lists (the parts' results merged; hooks are not nodes)."""
    import collections
    import json

    from bench.fixed import dbt_invocations

    target = pipeline_run.data_dir / "dbt"
    invocations = dbt_invocations(target / "dbt.log")
    assert invocations[0]["command"] == "parse"
    builds = invocations[1:]
    assert builds and {i["command"] for i in builds} == {"build"}
    assert all(i["seconds"] > 0 for i in invocations)
    results = json.loads((target / "run_results.json").read_text())["results"]
    listed = collections.Counter(r["unique_id"].split(".")[0] for r in results)
    del listed["operation"]
    assert sum((i["nodes"] for i in builds), collections.Counter()) == listed
