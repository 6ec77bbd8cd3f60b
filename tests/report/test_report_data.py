"""What the report reads and how it answers bad arguments, on a small published fixture
(no pipeline run, no browser): the unit and month rules, suppressed cells, the HTML."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dagster_project.report.data import ReportError, parse_month, read_report
from dagster_project.report.fmt import SUPPRESSED_TEXT
from dagster_project.report.render import render_html
from tests.browser.published_fixture import write_published_fixture


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    db = tmp_path_factory.mktemp("pub") / "leitstand.duckdb"
    write_published_fixture(db)
    return db


def _scalar(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()[0]


def test_month_must_be_yyyy_mm():
    assert parse_month("2026-10") == dt.date(2026, 10, 1)
    for bad in ("10/2026", "2026-13", "Oktober"):
        with pytest.raises(ReportError, match="YYYY-MM"):
            parse_month(bad)


def test_default_is_the_root_and_the_latest_month(published):
    report = read_report(published)
    root = _scalar(published, "select org_unit_id from marts.org_units where parent_id is null")
    latest = _scalar(published, "select max(month) from marts.kpi_monthly where not suppressed")
    assert [p.unit.org_unit_id for p in report.pages] == [root]
    assert report.month == latest
    assert report.publication.run_id == _scalar(
        published, "select run_id from meta.publication order by published_at desc")


def test_unknown_unit_and_month_outside_the_data_are_named(published):
    with pytest.raises(ReportError, match="'NOPE' is not an org unit"):
        read_report(published, ["NOPE"])
    with pytest.raises(ReportError, match="--month 2031-01: the publication holds values from"):
        read_report(published, None, dt.date(2031, 1, 1))


def test_units_match_case_insensitively_and_all_gives_every_unit(published):
    some = _scalar(published, "select min(org_unit_id) from marts.org_units where depth = 2")
    report = read_report(published, [f" {some.lower()} "])
    assert [p.unit.org_unit_id for p in report.pages] == [some]
    n = _scalar(published, "select count(*) from marts.org_units")
    assert len(read_report(published, ["all"]).pages) == n


def test_an_earlier_month_shows_its_value_and_the_status_of_that_month(published):
    """(worked out from the published tables: tests/report/test_report_month.py)"""
    root = _scalar(published, "select org_unit_id from marts.org_units where parent_id is null")
    kpi, month = _scalar(published, """
        select [kpi_id, strftime(month - interval 2 month, '%Y-%m')] from marts.kpi_status
        where org_unit_id = ? order by kpi_id limit 1""", [root])
    value = _scalar(published, "select value from marts.kpi_monthly where kpi_id = ? and "
                    "org_unit_id = ? and strftime(month, '%Y-%m') = ?", [kpi, root, month])
    line = next(k for k in read_report(published, [root], parse_month(month)).pages[0].kpis
                if k.kpi_id == kpi)
    assert line.value == value and line.month == parse_month(month)
    assert line.status in ("red", "amber", "green", "no_target") and line.status_month is None


def test_suppressed_cells_reach_the_page_as_suppressed_only(published):
    unit = _scalar(published, "select min(org_unit_id) from marts.kpi_monthly where suppressed")
    page = read_report(published, [unit]).pages[0]
    hidden = [k for k in page.kpis if k.suppressed_now]
    assert hidden and all(k.value is None and k.status is None for k in hidden)
    assert all(v is None for k in hidden for _, v in k.series)
    html = render_html(read_report(published, [unit]))
    assert html.count(SUPPRESSED_TEXT) >= len(hidden)


def test_trend_arrows_and_deltas_are_the_dashboards_ones():
    """A change too small to show reads "→ ±0", as on the cockpit (not "↗ +0,00")."""
    import json
    import shutil
    import subprocess

    from dagster_project.core.settings import DASHBOARDS_DIR
    from dagster_project.report import fmt

    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    rows = [{"trend_3m": s, "direction": d, "unit": u}
            for u, slopes in {"ratio": [0.001, -0.004, 0.006, -0.02],
                              "share": [0.0001, 0.0004, -0.0006, 0.01],
                              "days": [0.01, -0.04, 0.06, -1.5], "score": [0.02, 0.7]}.items()
            for s in slopes for d in ("up", "down")]
    script = ("const f = await import(process.argv[1]);"
              "const rows = JSON.parse(process.argv[2]);"
              "process.stdout.write(JSON.stringify(rows.map((r) => f.trendInfo(r))));")
    done = subprocess.run(["node", "--input-type=module", "-e", script,
                           (DASHBOARDS_DIR / "components" / "format.js").as_uri(),
                           json.dumps(rows)], capture_output=True, text=True, check=True)
    for row, js in zip(rows, json.loads(done.stdout), strict=True):
        arrow, tone, _ = fmt.trend(row["trend_3m"], row["direction"], row["unit"])
        assert (arrow, tone) == (js["arrow"], js["tone"]), (row, js)
        assert fmt.kpi_delta(row["trend_3m"], row["unit"]) == js["delta"], (row, js)
