"""Target revisions (config/kpi_targets.csv with `valid_from`, `reason`) in a real run.

On a copy of the session's sources, one target path (taken from the data) gets two
revisions: one in force from before the as-of month's last day, one from after it. The
status and the expected value must follow the first revision (flat at a level of its own,
so the expected value is exactly that level), `marts.kpi_targets` must publish all three
rows with the spans they were in force, and the report must say that the path was revised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata

import duckdb
import pypdf
import pytest

from dagster_project.report.data import read_report, status_at
from dagster_project.report.pdf import find_chromium, write_report
from tests.conftest import run_pipeline_in

pytestmark = pytest.mark.slow

REASON = "Zielpfad nach Strategieklausur angepasst"


def _rows(db, sql, params=None) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_a_revision_is_in_force_from_its_valid_from_on_and_every_row_is_published(
        copied_run, tmp_path):
    run = copied_run
    path = run.sources_dir / "config" / "kpi_targets.csv"
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header, targets = list(reader.fieldnames), list(reader)
    with_target = {(t["kpi_id"], t["org_unit_id"]) for t in targets}
    cell = next(c for c in _rows(run.published_db, """
        select s.kpi_id, s.org_unit_id, s.month, s.value, s.tolerance, d.direction
        from marts.kpi_status s join marts.kpi_definitions d using (kpi_id)
        where s.status <> 'no_target' and d.unit = 'share' order by s.kpi_id, s.org_unit_id""")
        if (c["kpi_id"], c["org_unit_id"]) in with_target)
    month_end = (cell["month"] + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    revised_from = cell["month"] - dt.timedelta(days=40)  # in force in the as-of month
    later_from = month_end + dt.timedelta(days=1)  # only after it
    level = round(min(1.0, cell["value"] + 2 * (cell["tolerance"] or 0) + 0.05), 4)
    if cell["direction"] == "down":
        level = round(max(0.0, cell["value"] - 2 * (cell["tolerance"] or 0) - 0.05), 4)
    base = next(t for t in targets if (t["kpi_id"], t["org_unit_id"]) ==
                (cell["kpi_id"], cell["org_unit_id"]))
    comma = "," in base["target_value"]

    def number(x: float) -> str:
        return f"{x:.4f}".replace(".", ",") if comma else f"{x:.4f}"

    header += [h for h in ("valid_from", "reason") if h not in header]
    rows = [{**t, "valid_from": t.get("valid_from", ""), "reason": t.get("reason", "")}
            for t in targets]
    rows.append({**base, "baseline_value": number(level), "target_value": number(level),
                 "valid_from": f"{revised_from:%d.%m.%Y}", "reason": REASON})
    rows.append({**base, "baseline_value": number(0.0), "target_value": number(0.0),
                 "valid_from": f"{later_from:%d.%m.%Y}", "reason": "noch nicht in Kraft"})
    out = io.StringIO()
    writer = csv.DictWriter(out, header, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")

    outcome = run_pipeline_in(run.sources_dir, run.data_dir)
    assert outcome.published, outcome.report()
    key = [cell["kpi_id"], cell["org_unit_id"]]
    [status] = _rows(run.published_db, "select * from marts.kpi_status "
                     "where kpi_id = ? and org_unit_id = ?", key)
    assert status["month"] == cell["month"]
    assert status["expected_value"] == pytest.approx(level)
    assert status["target_value"] == pytest.approx(level)
    gap = (status["value"] - level) * (-1 if cell["direction"] == "down" else 1)
    assert gap < 0 and status["status"] == ("amber" if gap >= -status["tolerance"] else "red")
    published = _rows(run.published_db, "select * from marts.kpi_targets "
                      "where kpi_id = ? and org_unit_id = ? order by valid_from nulls first", key)
    assert [(p["valid_from"], p["valid_to"], p["reason"]) for p in published] == [
        (None, revised_from - dt.timedelta(days=1), None),
        (revised_from, later_from - dt.timedelta(days=1), REASON),
        (later_from, None, "noch nicht in Kraft"),
    ]

    # the report's status of a month is the published one for the latest month (worked out
    # from the published tables, value for value), and before the revision the old path's
    with duckdb.connect(str(run.published_db), read_only=True) as con:
        latest = con.execute("select max(month) from marts.kpi_monthly").fetchone()[0]
        status_at(con, latest, computed_only=True, view="worked")
        columns = [c for (c, *_) in con.execute("describe marts.kpi_status").fetchall()]
        order = f"select {', '.join(columns)} from {{}} order by kpi_id, org_unit_id"
        published_rows = con.execute(order.format("marts.kpi_status")).fetchall()
        worked = con.execute(order.format("worked")).fetchall()
    assert len(worked) == len(published_rows)
    for mine, theirs in zip(worked, published_rows, strict=True):
        assert all(a == b or (isinstance(a, float) and b == pytest.approx(a, rel=1e-12))
                   for a, b in zip(mine, theirs, strict=True)), (mine, theirs)
    before = (revised_from.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    line = next(k for k in read_report(run.published_db, [cell["org_unit_id"]], before)
                .pages[0].kpis if k.kpi_id == cell["kpi_id"])
    # (a survey KPI's value of that month is its last wave up to it)
    assert line.month <= before and line.status is not None and line.revision is None
    assert line.target_value == pytest.approx(float(base["target_value"].replace(",", ".")))

    try:
        find_chromium()
    except Exception as e:
        pytest.skip(str(e))
    pdf = write_report(run.published_db, tmp_path / "bericht.pdf", [cell["org_unit_id"]]).path
    flat = " ".join(unicodedata.normalize("NFKC", " ".join(
        p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)).split())
    assert f"Zielpfad geändert ab {revised_from:%d.%m.%Y}" in flat and REASON in flat
