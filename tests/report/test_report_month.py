"""`leitstand report --month` for a month before the latest: the status of that month.

`marts.kpi_status` holds the status at each (KPI, unit)'s latest month only; the report works
out the status of an earlier month from what is published (dagster_project/report/data.py,
`status_at`). Checked here on the small published fixture (no pipeline run):

- for the latest month, the worked-out status is `marts.kpi_status` value for value;
- for an earlier month, it is what an independent computation (the oracle's helpers of
  tests/oracle/status.py on the published values up to that month and the target rows of
  `marts.kpi_targets` in force then) gives, also with a target revision between the two
  months; the report's page and its PDF show it.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import unicodedata

import duckdb
import pandas as pd
import pypdf
import pytest

from dagster_project.report.data import read_report, status_at
from tests.browser.published_fixture import write_published_fixture
from tests.oracle.status import expected_value, in_force, trend

STATUS_COLUMNS = ["value", "baseline_value", "target_value", "expected_value", "tolerance",
                  "status", "progress", "trend_3m", "forecast_at_target_date", "target_date",
                  "month", "red_below", "amber_below"]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    db = tmp_path_factory.mktemp("pub") / "leitstand.duckdb"
    write_published_fixture(db)
    return db


def _frame(db, sql, params=None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()


def _months_back(month: dt.date, n: int) -> dt.date:
    index = 12 * month.year + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _latest(db) -> dt.date:
    return _frame(db, "select max(month) as m from marts.kpi_monthly where not suppressed"
                  ).m.iloc[0].date()


def _worked_out(db, month: dt.date, computed_only: bool) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        view = status_at(con, month, computed_only=computed_only)
        df = con.execute(f"select * from {view}").df()
    rows = {(r.kpi_id, r.org_unit_id): r._asdict() for r in df.itertuples(index=False)}
    assert len(rows) == len(df), "one status per (KPI, unit)"
    return rows


def _oracle(db, month: dt.date) -> dict:
    """The status as of `month`, worked out here from the published tables by the rule of
    docs/kpis.md (independently of the report's SQL)."""
    monthly = _frame(db, "select kpi_id, org_unit_id, month, value from marts.kpi_monthly"
                         " where not suppressed and value is not null and month <= ?"
                         " order by month", [month])
    targets = _frame(db, "select * from marts.kpi_targets")
    for column in ("valid_from", "baseline_date", "target_date"):
        targets[column] = pd.to_datetime(targets[column]).astype("datetime64[ns]")
    defs = _frame(db, "select * from marts.kpi_definitions").set_index("kpi_id")
    paths = dict(_frame(db, "select org_unit_id, path from marts.org_units").values)
    out = {}
    for (kpi, unit), series in monthly.groupby(["kpi_id", "org_unit_id"]):
        m = pd.Timestamp(series.month.iloc[-1])
        value = float(series.value.iloc[-1])
        slope = trend([pd.Timestamp(x) for x in series.month], list(series.value))
        row = {"month": m, "value": value, "status": "no_target", "trend_3m": slope,
               "target_value": None, "expected_value": None, "forecast_at_target_date": None}
        target = in_force(targets, kpi, unit, m)
        if target is not None:
            expected = expected_value(target, m)
            down = defs.loc[kpi, "direction"] == "down"
            gap = expected - value if down else value - expected
            left = 12 * (target.target_date.year - m.year) + target.target_date.month - m.month
            forecast = None
            if slope is not None:
                low, high = defs.loc[kpi, "min_value"], defs.loc[kpi, "max_value"]
                forecast = value + slope * left
                forecast = forecast if pd.isna(low) else max(low, forecast)
                forecast = forecast if pd.isna(high) else min(high, forecast)
            row |= {"target_value": float(target.target_value), "expected_value": expected,
                    "status": "green" if gap >= 0 else
                    "amber" if gap >= -target.tolerance else "red",
                    "forecast_at_target_date": forecast}
        out[(kpi, unit)] = row
    for (kpi, unit), row in out.items():
        below = [r["status"] for (k, u), r in out.items()
                 if k == kpi and paths[u].startswith(paths[unit] + "/")]
        row["red_below"], row["amber_below"] = below.count("red"), below.count("amber")
    return out


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NaT:
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NaT
    if isinstance(a, float) or isinstance(b, float):
        return b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return pd.Timestamp(a) == pd.Timestamp(b) if hasattr(a, "year") else a == b


def test_worked_out_for_the_latest_month_it_is_the_published_status(published):
    latest = _latest(published)
    published_rows = _frame(published, "select * from marts.kpi_status")
    worked = _worked_out(published, latest, computed_only=True)
    assert len(worked) == len(published_rows) > 0
    for r in published_rows.to_dict("records"):
        mine = worked[(r["kpi_id"], r["org_unit_id"])]
        for column in [*STATUS_COLUMNS, "data_as_of"]:
            assert _same(r[column], mine[column]), (r["kpi_id"], r["org_unit_id"], column)


def _with_a_revision(db, tmp_path) -> tuple:
    """A copy of the fixture where the root's first KPI with a target gets a revision two
    months before the latest month: a target far above (below) the old one."""
    copy = tmp_path / "revised.duckdb"
    shutil.copy(db, copy)
    latest = _latest(db)
    revised_from = _months_back(latest, 2)
    with duckdb.connect(str(copy)) as con:
        kpi, unit, target, base = con.execute("""
            select t.kpi_id, t.org_unit_id, t.target_value, t.baseline_value
            from marts.kpi_targets t join marts.org_units u using (org_unit_id)
            where u.parent_id is null order by t.kpi_id limit 1""").fetchone()
        new_target = target + 3 * (target - base)
        con.execute("update marts.kpi_targets set valid_to = ? where kpi_id = ?"
                    " and org_unit_id = ?", [revised_from - dt.timedelta(days=1), kpi, unit])
        con.execute("insert into marts.kpi_targets select kpi_id, org_unit_id, ?, null,"
                    " baseline_date, baseline_value, target_date, ?, tolerance, 'Zielanpassung'"
                    " from marts.kpi_targets where kpi_id = ? and org_unit_id = ?",
                    [revised_from, new_target, kpi, unit])
    return copy, kpi, unit, revised_from, target, new_target


@pytest.mark.parametrize("back", [1, 3, 7])
def test_an_earlier_month_gets_the_status_of_that_month(published, tmp_path, back):
    db, kpi, unit, revised_from, old_target, new_target = _with_a_revision(published, tmp_path)
    month = _months_back(_latest(db), back)
    expected = _oracle(db, month)
    worked = _worked_out(db, month, computed_only=False)
    assert set(worked) == set(expected)
    for key, want in expected.items():
        for column, value in want.items():
            assert _same(value, worked[key][column]), (key, column, value, worked[key][column])
    # before the revision the old target was in force, from its month on the new one
    in_force_then = old_target if month < revised_from else new_target
    assert worked[(kpi, unit)]["target_value"] == pytest.approx(in_force_then)
    # the report's page shows that month's status, value and expected value
    page = read_report(db, [unit], month).pages[0]
    line = next(k for k in page.kpis if k.kpi_id == kpi)
    assert line.month == month and line.status == expected[(kpi, unit)]["status"]
    assert line.value == pytest.approx(expected[(kpi, unit)]["value"])
    assert line.expected_value == pytest.approx(expected[(kpi, unit)]["expected_value"])
    assert line.target_value == pytest.approx(in_force_then)
    assert page.open_status == 0
    ids = [u for (k, u) in expected if k == kpi]
    assert line.red_below == sum(expected[(kpi, u)]["status"] == "red" for u in ids if u != unit)
    counts = {s: sum(1 for (k, u), r in expected.items() if u == unit and r["status"] == s)
              for s in ("red", "amber", "green")}
    assert {s: page.count(s) for s in counts} == counts


def test_the_pdf_of_an_earlier_month_shows_its_status_counts(published, tmp_path):
    from dagster_project.report.pdf import find_chromium, write_report

    try:
        find_chromium()
    except Exception as e:
        pytest.skip(str(e))
    db = published
    month = _months_back(_latest(db), 6)
    root = _frame(db, "select org_unit_id from marts.org_units where parent_id is null"
                  ).org_unit_id.iloc[0]
    expected = _oracle(db, month)
    counts = {s: sum(1 for (_, u), r in expected.items() if u == root and r["status"] == s)
              for s in ("red", "amber", "green")}
    pdf = write_report(db, tmp_path / "bericht.pdf", [root], month=month).path
    flat = " ".join(unicodedata.normalize("NFKC", " ".join(
        p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)).split())
    assert "ohne Status für diesen Monat" not in flat
    for word, status in (("Rot", "red"), ("Gelb", "amber"), ("Grün", "green")):
        assert f"{counts[status]} {word}" in flat, (word, counts, flat[:400])
