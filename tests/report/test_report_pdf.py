"""`leitstand report` on a real pipeline run: the PDF's text holds the published values.

The session's pipeline run (tests/conftest.py) publishes the sample company; the report is
printed by the real headless Chromium for two units taken from the data (the root of the org
tree and the unit below it with the most suppressed cells), and its text, extracted with
pypdf, is compared with `marts.kpi_status`, `marts.actions` and `meta.publication` of the
published file, formatted by the independent German formatter of the browser test. No
value behind a suppressed cell (read from the build database, where it still exists) may
appear on the KPI's line.
"""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path

import duckdb
import pypdf
import pytest

from dagster_project.cli.main import main
from dagster_project.report.pdf import find_chromium
from tests.browser import german

pytestmark = pytest.mark.slow

STATUS_DE = {"red": "rot", "amber": "gelb", "green": "grün", "no_target": "ohne Ziel"}
MONTHS_SHORT = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.",
                "Nov.", "Dez."]


def _clean(text: str) -> str:
    """PDF text with ligatures undone and every kind of space as one space."""
    text = unicodedata.normalize("NFKC", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def _flat(text: str) -> str:
    return " ".join(text.split())


def _v(x, unit) -> str:
    return _flat(german.kpi_value(x, unit))


def _rows(con, sql, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def report(pipeline_run, tmp_path_factory):
    try:
        find_chromium()
    except Exception as e:  # the report needs the browser; CI installs it (.ci/run)
        pytest.skip(str(e))
    db = pipeline_run.published_db
    with duckdb.connect(str(db), read_only=True) as con:
        root = con.execute(
            "select org_unit_id from marts.org_units where parent_id is null").fetchone()[0]
        other = con.execute("""
            select u.org_unit_id from marts.org_units u
            where u.parent_id is not null
            order by (select count(*) from marts.kpi_monthly m
                      where m.org_unit_id = u.org_unit_id and m.suppressed) desc,
                     (select count(*) from marts.kpi_status s
                      where s.org_unit_id = u.org_unit_id) desc, u.org_unit_id
            limit 1""").fetchone()[0]
    out = tmp_path_factory.mktemp("report") / "bericht.pdf"
    started = time.monotonic()
    rc = main(["report", "--data-dir", str(pipeline_run.data_dir), "--unit", root,
               "--unit", other, "--out", str(out)])
    seconds = time.monotonic() - started
    assert rc == 0
    print(f"report of 2 units: {seconds:.1f} s")
    reader = pypdf.PdfReader(str(out))
    pages = [_clean(p.extract_text()) for p in reader.pages]
    return {"path": out, "units": [root, other], "pages": pages, "reader": reader,
            "seconds": seconds, "db": db, "build_db": pipeline_run.data_dir / "build.duckdb"}


def _sections(report) -> dict[str, str]:
    """The text of each unit's page(s): from its heading line to the next unit's."""
    sections: dict[str, list[str]] = {}
    current = None
    for page in report["pages"]:
        for uid in report["units"]:
            if f"({uid}) · mit allen Einheiten darunter" in page:
                current = uid
        sections.setdefault(current, []).append(page)
    assert set(sections) == set(report["units"]), sections.keys()
    return {uid: "\n".join(p) for uid, p in sections.items()}


def _kpi_line(section: str, name: str) -> str:
    found = [ln for ln in section.splitlines()
             if re.match(rf"^(rot|gelb|grün|ohne Ziel|–) {re.escape(name)}( |$)", ln)]
    assert len(found) == 1, (name, found)
    return found[0]


def test_the_pdf_is_a4_landscape_in_german_and_quick(report):
    box = report["reader"].pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert "MONATSBERICHT" in report["pages"][0]
    assert report["seconds"] < 60


def test_each_unit_page_holds_the_published_values(report):
    sections = _sections(report)
    with duckdb.connect(str(report["db"]), read_only=True) as con:
        pub = _rows(con, "select * from meta.publication order by published_at desc limit 1")[0]
        month = con.execute(
            "select max(month) from marts.kpi_monthly where not suppressed").fetchone()[0]
        for uid in report["units"]:
            text = sections[uid]
            flat = _flat(text)
            unit = _rows(con, "select * from marts.org_units where org_unit_id = ?", [uid])[0]
            assert unit["name"] in text
            assert _flat(german.date_time(pub["published_at"])) in flat
            assert pub["run_id"] in flat
            status = _rows(con, """
                select s.*, d.name_de, d.unit from marts.kpi_status s
                join marts.kpi_definitions d using (kpi_id)
                where s.org_unit_id = ? and s.month <= ?""", [uid, month])
            assert status, f"{uid} has no status rows: choose another unit"
            for s in status:
                line = _kpi_line(text, s["name_de"])
                head = (f"{STATUS_DE[s['status']]} {s['name_de']} {_v(s['value'], s['unit'])} "
                        f"{MONTHS_SHORT[s['month'].month - 1]} {s['month'].year} ")
                assert line.startswith(head), (head, line)
                if s["status"] != "no_target":  # Soll, Ziel, Zieldatum, trend, Prognose
                    cells = (f"{_v(s['expected_value'], s['unit'])} "
                             f"{_v(s['target_value'], s['unit'])} {german.date(s['target_date'])} ")
                    assert line[len(head):].startswith(cells), (cells, line)
                    assert f" {_v(s['forecast_at_target_date'], s['unit'])} " in line, line
            for st, label in (("red", "Rot"), ("amber", "Gelb"), ("green", "Grün")):
                n = sum(1 for s in status if s["status"] == st)
                assert f"{n} {label} –" in flat
            as_of = max(s["data_as_of"] for s in status)
            assert f"Datenstand {german.date(as_of)}" in flat
            # red and amber cells strictly below the unit
            below = _rows(con, """
                select u.name as unit_name, d.name_de, d.unit, s.value, s.status
                from marts.kpi_status s
                join marts.org_units u using (org_unit_id)
                join marts.kpi_definitions d using (kpi_id)
                where s.status in ('red', 'amber') and u.path like ? || '/%'""",
                [unit["path"]])
            for b in below:
                row = f"{STATUS_DE[b['status']]} {b['unit_name']} {b['name_de']} " \
                      f"{_v(b['value'], b['unit'])}"
                assert row in flat, row
            if not below:
                assert "Keine roten oder gelben Kennzahlen in Einheiten darunter." in flat
            # measures of the unit and its subtree, with owners; overdue ones counted
            actions = _rows(con, """
                select a.* from marts.actions a join marts.org_units u using (org_unit_id)
                where u.path = ? or u.path like ? || '/%'""", [unit["path"], unit["path"]])
            overdue = sum(1 for a in actions if a["overdue"])
            assert f"Maßnahmen ({len(actions)}, davon {overdue} überfällig)" in flat
            assert flat.count("überfällig") == overdue + 1
            for a in actions:
                assert _flat(a["title"]) in flat and _flat(a["owner"]) in flat
            assert "Mindestgruppengröße" in flat  # the privacy note


def _hidden_cells(build_db: Path, unit: str, kpis: list[str]) -> list[tuple[str, float]]:
    """(kpi_id, value) of the unit's cells before suppression, from the build database: the
    intermediate tables of unsuppressed cells (found by their columns, not their names)."""
    with duckdb.connect(str(build_db), read_only=True) as con:
        tables = con.execute("""
            select table_schema || '.' || table_name from information_schema.columns
            where table_schema = 'intermediate'
            group by 1
            having count(*) filter (where column_name in
                ('kpi_id', 'month', 'org_unit_id', 'value', 'population')) = 5
                and count(*) filter (where column_name = 'suppressed') = 0""").fetchall()
        assert tables, "no intermediate table of unsuppressed KPI cells in the build database"
        union = " union all ".join(
            f"select kpi_id, org_unit_id, value from {t}" for (t,) in tables)
        rows = con.execute(
            f"select distinct kpi_id, value from ({union}) "
            "where org_unit_id = ? and kpi_id in (select unnest(?)) and value is not null",
            [unit, kpis]).fetchall()
    return rows


def test_suppressed_cells_show_as_suppressed_and_never_as_a_number(report):
    sections = _sections(report)
    checked = 0
    with duckdb.connect(str(report["db"]), read_only=True) as con:
        for uid in report["units"]:
            suppressed = _rows(con, """
                select distinct d.kpi_id, d.name_de, d.unit
                from marts.kpi_monthly m join marts.kpi_definitions d using (kpi_id)
                where m.org_unit_id = ? and m.suppressed""", [uid])
            for s in suppressed:
                line = _kpi_line(sections[uid], s["name_de"])
                status = _rows(con, "select * from marts.kpi_status "
                                    "where kpi_id = ? and org_unit_id = ?", [s["kpi_id"], uid])
                if not status:  # nothing published for the unit: no number on the line at all
                    assert re.fullmatch(rf"– {re.escape(s['name_de'])} "
                                        r"unter Mindestgruppengröße( \d+ / \d+| –)", line), line
                    allowed = set()
                else:  # the published value of another month, and no hidden one
                    allowed = {_v(status[0][c], s["unit"]) for c in (
                        "value", "expected_value", "target_value", "forecast_at_target_date")}
                hidden = _hidden_cells(report["build_db"], uid, [s["kpi_id"]])
                assert hidden, s
                for _, value in hidden:
                    text = _v(value, s["unit"])
                    assert text not in line or text in allowed, (text, line)
                checked += 1
    assert checked, "neither unit has a suppressed cell: the test proves nothing"
