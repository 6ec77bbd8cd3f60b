"""Comments on a KPI value (config/kpi_comments.csv → marts.kpi_comments → the report).

A real run on a copy of the session's sources with three comments, placed from the data:
one beside a published value (published, and printed in the report beside its KPI), one on
a suppressed cell (never published, never printed), one on a month without any value
(not published; the run warns about it, so it does not vanish without a trace).
"""

from __future__ import annotations

import unicodedata

import duckdb
import pypdf
import pytest

from dagster_project.report.pdf import find_chromium, write_report
from tests.conftest import run_pipeline_in

pytestmark = pytest.mark.slow

SHOWN = "Großkunde bestellt wieder per Telefon, Schulung geplant"
HIDDEN = "Kommentar an einer zu kleinen Gruppe"
TYPO = "Kommentar mit falschem Jahr"


def _one(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()


def test_a_comment_is_published_and_printed_beside_its_value_never_on_a_suppressed_cell(
        copied_run, tmp_path):
    run = copied_run
    db = run.published_db
    kpi, unit, month = _one(db, """
        select s.kpi_id, s.org_unit_id, s.month from marts.kpi_status s
        join marts.org_units u using (org_unit_id)
        where u.parent_id is not null order by u.depth, s.kpi_id, s.org_unit_id limit 1""")
    s_kpi, s_unit, s_month = _one(db, """
        select kpi_id, org_unit_id, month from marts.kpi_monthly where suppressed
        order by month desc, kpi_id, org_unit_id limit 1""")
    (run.sources_dir / "config" / "kpi_comments.csv").write_text(
        "kpi_id;org_unit_id;month;author;comment\n"
        f"{kpi};{unit};{month:%d.%m.%Y};Controlling;{SHOWN}\n"
        f"{s_kpi};{s_unit};{s_month:%d.%m.%Y};Personal;{HIDDEN}\n"
        f"{kpi};{unit};01.01.2099;Controlling;{TYPO}\n", encoding="utf-8")

    outcome = run_pipeline_in(run.sources_dir, run.data_dir)
    assert outcome.published, outcome.report()
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select kpi_id, org_unit_id, month, author, comment "
                           "from marts.kpi_comments").fetchall()
        warned = con.execute("""
            select count(*) from dq.gate_results where run_id = ? and not passed
            and severity = 'warn' and check_name like '%kpi_comments_on_a_month_without%'""",
            [outcome.run_id]).fetchone()[0]
    assert rows == [(kpi, unit, month, "Controlling", SHOWN)]
    assert warned == 1

    try:
        find_chromium()
    except Exception as e:
        pytest.skip(str(e))
    pdf = write_report(db, tmp_path / "bericht.pdf", [unit, s_unit]).path
    text = unicodedata.normalize("NFKC", " ".join(
        p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages))
    flat = " ".join(text.split())
    assert f"„{SHOWN}“ – Controlling" in flat
    assert HIDDEN not in flat and TYPO not in flat
