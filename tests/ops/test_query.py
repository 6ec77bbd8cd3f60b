"""`leitstand query`: read-only, refuses writes clearly, and keeps answering during a publish."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time

import duckdb
import pytest

from dagster_project.cli.main import main
from dagster_project.cli.query import QueryError, WriteRefused, run_query
from dagster_project.core.settings import REPO_ROOT, Settings
from tests.ops.published import CONSISTENCY_SQL, ROWS, publish_version

LEITSTAND = [sys.executable, "-m", "dagster_project.cli"]


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    publish_version(s, 1)
    return s


def test_reading_statements_answer(settings):
    table = run_query(settings, CONSISTENCY_SQL)
    assert table.splitlines()[0].split() == ["n", "lo", "hi", "pubs"]
    assert table.splitlines()[2].split() == [str(ROWS), "1.0", "1.0", "1"]
    assert table.rstrip().endswith("(1 row)")
    rows = list(csv.reader(io.StringIO(run_query(settings, CONSISTENCY_SQL, as_csv=True))))
    assert rows == [["n", "lo", "hi", "pubs"], [str(ROWS), "1.0", "1.0", "1"]]
    for sql in (
        "show all tables",
        "describe marts.kpi_monthly",
        "summarize marts.kpi_monthly",
        "from meta.publication",
        "explain select 1",
        "pragma table_info('marts.kpi_monthly')",
        "pivot marts.kpi_monthly on kpi_id using count(*)",
    ):
        assert run_query(settings, sql)


WRITES = [
    ("insert into marts.kpi_monthly select * from marts.kpi_monthly", "insert"),
    ("delete from marts.kpi_monthly", "delete"),
    ("update marts.kpi_monthly set value = 0", "update"),
    ("drop table marts.kpi_monthly", "drop"),
    ("create table t as select 1", "create"),
    ("create temp table t as select 1", "create"),
    ("alter table marts.kpi_monthly add column x int", "alter"),
    ("copy marts.kpi_monthly to 'out.csv'", "copy"),
    ("export database 'out'", "export"),
    ("attach 'other.duckdb' as o", "attach"),
    ("install httpfs", "load"),
    ("load httpfs", "load"),
    ("set threads = 1", "set"),
    ("pragma threads = 1", "set"),
    ("checkpoint", "call"),
    ("select 1; drop table marts.kpi_monthly", "drop"),
    ("explain analyze copy (select 1) to 'x.csv'", "copy"),
]


@pytest.mark.parametrize(("sql", "kind"), WRITES)
def test_write_statements_are_refused_before_they_run(settings, sql, kind):
    before = settings.published_db.stat().st_mtime_ns
    with pytest.raises(WriteRefused) as e:
        run_query(settings, sql)
    assert f"({kind}:" in str(e.value) and "only reads" in str(e.value)
    assert settings.published_db.stat().st_mtime_ns == before
    assert sorted(p.name for p in settings.data_dir.iterdir()) == [
        "build.duckdb",
        "leitstand.duckdb",
    ]
    assert run_query(settings, "select count(*) as n from marts.kpi_monthly").splitlines()[
        2
    ] == str(ROWS)


def test_the_connection_itself_cannot_reach_files(settings, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n1\n")
    with pytest.raises(QueryError, match="disabled by configuration"):
        run_query(settings, f"select * from read_csv('{outside}')")


def test_cli_refuses_a_write_with_exit_code_2_and_a_message(settings, capsys):
    code = main(["query", "drop table marts.kpi_monthly", "--data-dir", str(settings.data_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert "refused" in err and "drop" in err and "leitstand run" in err


def test_cli_says_what_to_do_when_nothing_is_published(tmp_path, capsys):
    assert main(["query", "select 1", "--data-dir", str(tmp_path)]) == 2
    assert "nothing published yet" in capsys.readouterr().err


def test_query_keeps_answering_while_publications_are_swapped_in(settings):
    """Real processes: a publisher swapping in 25 publications, `leitstand query` in a loop."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    publisher = subprocess.Popen(
        [sys.executable, "-m", "tests.ops.published", str(settings.data_dir), "25"],
        cwd=REPO_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    answers = []
    try:
        while publisher.poll() is None or len(answers) < 5:
            out = subprocess.run(
                [
                    *LEITSTAND,
                    "query",
                    CONSISTENCY_SQL,
                    "--csv",
                    "--data-dir",
                    str(settings.data_dir),
                ],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert out.returncode == 0, out.stderr
            answers.append(out.stdout.splitlines()[1].split(","))
            if len(answers) > 200:
                break
    finally:
        publisher.wait(timeout=120)
    assert publisher.returncode == 0, publisher.stderr.read()
    for n, lo, hi, pubs in answers:
        # one whole publication: every row of the same version, and that version's history
        assert int(n) == ROWS and lo == hi and float(lo) == float(pubs), (n, lo, hi, pubs)
    versions = {float(a[1]) for a in answers}
    assert len(versions) >= 3, f"the loop saw only {versions}: it did not overlap the publishing"
    assert answers[-1][3] == "26"


def test_a_reader_holding_the_file_open_does_not_block_a_publish(settings):
    """An open read-only connection (a notebook) keeps the old file; publish still swaps."""
    with duckdb.connect(str(settings.published_db), read_only=True) as reader:
        started = time.monotonic()
        publish_version(settings, 2)
        assert time.monotonic() - started < 30
        assert reader.execute("select max(value) from marts.kpi_monthly").fetchone()[0] == 1.0
    assert "2.0" in run_query(settings, "select max(value) as v from marts.kpi_monthly")


# ---- bounded: time, memory, rows; CSV a spreadsheet cannot run; one line on failure --------

SLOW = "select sum(a.range * b.range) from range(1000000) a, range(1000000) b"


def test_a_query_is_stopped_after_its_timeout(settings):
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"abgebrochen / query stopped after 1 s"):
        run_query(settings, SLOW, timeout=1)
    assert time.monotonic() - started < 10


def test_a_query_stays_within_the_memory_limit(settings):
    from dataclasses import replace

    small = replace(settings, memory_limit="64MB")
    with pytest.raises(QueryError, match="needs more than 64MB of memory"):
        run_query(small, "select string_agg(a.kpi_id || b.org_unit_id, ',') "
                         "from marts.kpi_monthly a, (from marts.kpi_monthly limit 300) b")


def test_printed_rows_are_capped_with_a_note(settings):
    table = run_query(settings, "select * from marts.kpi_monthly", max_rows=5)
    lines = table.rstrip("\n").splitlines()
    assert len(lines) == 2 + 5 + 1
    assert "the first 5 rows; the result has more" in lines[-1]
    notes: list[str] = []
    text = run_query(settings, "select * from marts.kpi_monthly", as_csv=True, max_rows=5,
                     notes=notes)
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + 5  # the file stays plain CSV
    assert len(notes) == 1 and "the first 5 rows" in notes[0]
    notes.clear()
    run_query(settings, "select 1", as_csv=True, max_rows=1, notes=notes)
    assert notes == []  # exactly max_rows: nothing left out, no note


def test_csv_cells_a_spreadsheet_would_run_get_a_leading_quote(settings):
    sql = ("select '=HYPERLINK(\"http://x\",\"y\")' as a, '+cmd|'' /C calc''!A0' as b, "
           "'-2+3' as c, '@SUM(A1)' as d, chr(9) || 'x' as e, chr(13) || 'x' as f, "
           "'ok=1' as g, -5 as n, 'x' as \"=h\"")
    header, row = list(csv.reader(io.StringIO(run_query(settings, sql, as_csv=True))))
    assert header == ["a", "b", "c", "d", "e", "f", "g", "n", "'=h"]
    assert row[:6] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd|' /C calc'!A0", "'-2+3",
                       "'@SUM(A1)", "'\tx", "'\rx"]
    assert row[6:] == ["ok=1", "-5", "x"]  # a number is never a formula


@pytest.mark.parametrize("sql, extra, expected", [
    (SLOW, ["--timeout", "1"], "query stopped after 1 s"),
    ("selec 1", [], "does not parse"),
    ("select * from no_such_table", [], "does not exist"),
    ("select 1", ["--max-rows", "0"], "--max-rows must be a positive number"),
])
def test_cli_failures_are_one_line_without_a_traceback(settings, capsys, sql, extra, expected):
    code = main(["query", sql, "--data-dir", str(settings.data_dir), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and "Traceback" not in err
    assert err.count("\n") == 1, err
