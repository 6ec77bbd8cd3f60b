"""What `publish()` leaves out of the published file (docs/kpis.md, Privacy): person-level
content of the quarantine, and the gate results of runs other than the publishing one."""

from __future__ import annotations

import duckdb

from dagster_project.core.settings import Settings
from dagster_project.publish.publication import publish
from tests.ops.published import write_build

# (source, row, column, reason, raw value) as the ingest writes them
QUARANTINED = [
    ("survey_responses", 31, "Q03", "answer 7 outside the scale 1..5", "7"),
    ("survey_responses", 32, "Q11", "unparsable answer 'sehr gut'", "sehr gut"),
    ("survey_responses", 33, "response_id", "duplicate key with different values in the same "
     "file", "R-00017"),
    ("survey_responses", 34, "org_unit", "unknown org unit 'Geschäftsleitung' (known: see "
     "config/org_units.csv)", "Geschäftsleitung"),
    ("it_licenses", 201, "employee_id", "employee id not in hr_employees", "MA-04713"),
    ("it_licenses", 311, "assigned_from", "unparsable date 'ab 01.03.2026'", "ab 01.03.2026"),
    ("hr_employees", 12, "employee_id", "strange id 'MA-0001' (looks like MA-0001)", "MA-0001"),
    ("lms_trainings", 26, "status", "status 'bestanden' not in enrolled, completed, cancelled",
     "bestanden"),
    ("erp_orders", 21, "order_id", "duplicate key with different values in the same file",
     "AU-1003882"),
]
PERSONAL_VALUES = ["7", "sehr gut", "R-00017", "MA-04713", "MA-0001"]


def publish_with(tmp_path, quarantine, gate_runs=("run-1", "run-2")) -> Settings:
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    write_build(settings, 1)
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute("delete from dq.quarantine")
        if quarantine:
            con.executemany("insert into dq.quarantine values (?, 'f.csv', ?, ?, ?, ?)",
                            quarantine)
        con.execute("delete from dq.gate_results")
        for run in gate_runs:
            con.execute("insert into dq.gate_results values (?, 'freshness', 'erp_orders', "
                        "'warn', true, 'x', 'y', 'z')", [run])
    publish(settings, gate_runs[-1])
    return settings


def published(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_published_quarantine_holds_no_answer_and_no_person_id(tmp_path):
    settings = publish_with(tmp_path, QUARANTINED)
    rows = {r[1]: r for r in published(settings, "select source, row_number, column_name, "
                                       "reason, raw_value from dq.quarantine")}
    assert len(rows) == len(QUARANTINED)  # every row still says where and why
    personal = [r for r in rows.values() if r[0] != "erp_orders"
                and r[2] in ("Q03", "Q11", "response_id", "employee_id")]
    assert len(personal) == 5
    for source, row, _column, reason, raw in personal:
        assert raw is None, (source, row)
        for value in PERSONAL_VALUES:
            assert f"'{value}'" not in reason and f" {value} " not in reason, reason
    assert rows[31][3] == "answer outside the scale 1..5"
    assert rows[32][3] == "unparsable answer: not a number"
    assert "MA-0001" not in rows[12][3] and "personal data" in rows[12][3]
    # what is about no person's answer or identity stays, to fix the export by
    assert rows[311][4] == "ab 01.03.2026" and rows[26][4] == "bestanden"
    assert rows[34][4] == "Geschäftsleitung"
    assert rows[21][4] == "AU-1003882"  # an order id is not about a person
    # the build database keeps everything for whoever fixes the exports
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        assert con.execute("select count(*) from dq.quarantine where raw_value = 'MA-04713'"
                           ).fetchone()[0] == 1


def test_the_published_gate_results_are_the_publishing_runs_only(tmp_path):
    settings = publish_with(tmp_path, [], gate_runs=("killed-run", "blocked-run", "run-9"))
    assert published(settings, "select distinct run_id from dq.gate_results") == [("run-9",)]
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        assert con.execute("select count(distinct run_id) from dq.gate_results").fetchone() == (3,)


def test_the_gates_quarantine_message_names_no_answer_and_no_person_id():
    """The quarantine-share message (printed, logged, stored in dq.gate_results) reads the
    quarantine as it is published."""
    from dagster_project.gate.rules import quarantine_share

    with duckdb.connect() as con:
        con.execute("create schema dq; create table dq.quarantine (source varchar, file_name "
                    "varchar, row_number bigint, column_name varchar, reason varchar, "
                    "raw_value varchar)")
        con.executemany("insert into dq.quarantine values (?, 'f.csv', ?, ?, ?, ?)",
                        [q for q in QUARANTINED if q[0] in ("survey_responses", "it_licenses")])
        for source in ("survey_responses", "it_licenses"):
            result = quarantine_share(con, source, max_share=0.0)
            assert not result.passed and "f.csv" in result.message
            for value in PERSONAL_VALUES:
                assert f"'{value}'" not in result.message, result.message
        assert "ab 01.03.2026" in quarantine_share(con, "it_licenses", max_share=0.0).message
