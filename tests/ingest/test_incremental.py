"""Incremental, idempotent loading: the folder is the truth, a known file is not read again."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from dagster_project.ingest import loader, store
from dagster_project.ingest.contracts import contract
from dagster_project.ingest.loader import load_source

from .conftest import load_all, quarantine, raw_state, table, write_delimited

HR_HEADER = ["employee_id", "org_unit", "role", "entry_date", "exit_date"]


def snapshot(con) -> dict[str, list[tuple]]:
    """Every raw table, the quarantine and the registry, as rows."""
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' "
        "order by 1").fetchall()]
    out = {n: con.execute(f"select * from raw.{n}").fetchall() for n in names}
    out["dq.quarantine"] = con.execute("select * from dq.quarantine").fetchall()
    out["meta.loaded_files"] = con.execute(
        "select * from meta.loaded_files order by source, file_name").fetchall()
    return out


def write_hr(sources: Path, name: str, rows: list[list[str]]) -> Path:
    return write_delimited(sources / "hr_employees" / name, [HR_HEADER, *rows])


def test_second_run_reads_nothing_and_changes_nothing(con, sources):
    write_hr(sources, "hr_2025-01.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""],
                                         ["E2", "Nirgendwo", "Einkauf", "01.01.2020", ""]])
    write_delimited(sources / "it_usage" / "u.txt", [
        ["employee_id", "tool", "activity_date"], ["E1", "CRM", "01.01.2025"],
        ["E1", "CRM", "01.01.2025"], ["E7", "CRM", "01.01.2025"]], delimiter="\t")
    first = load_all(con, sources, "run-1")
    before = snapshot(con)
    second = load_all(con, sources, "run-2")
    assert sum(r.files_read for r in first) > 0
    assert [r.files_read for r in second] == [0] * len(second)
    assert snapshot(con) == before   # lineage too: load id and time of the first read
    assert [(r.source, r.rows_loaded, r.rows_quarantined, r.duplicates_collapsed)
            for r in second] == [(r.source, r.rows_loaded, r.rows_quarantined,
                                  r.duplicates_collapsed) for r in first]


def test_a_file_with_unchanged_size_and_time_is_not_even_hashed(con, sources, monkeypatch):
    """Hashing 1 GB of unchanged exports took ~2 s per run: size and modification time
    decide first; a changed time leads to the hash, a changed hash to reading the file."""
    path = write_hr(sources, "hr.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""]])
    hashed: list[str] = []
    real_hash = loader.hash_and_encoding

    def spy(p):
        hashed.append(p.name)
        return real_hash(p)

    monkeypatch.setattr(loader, "hash_and_encoding", spy)
    assert load_source(con, "hr_employees", sources, "run-1").files_read == 1
    assert hashed == ["hr.csv"]
    hashed.clear()
    assert load_source(con, "hr_employees", sources, "run-2").files_read == 0
    assert hashed == []
    # copied anew (same bytes, new time): hashed, not read; the new time is remembered
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert load_source(con, "hr_employees", sources, "run-3").files_read == 0
    assert hashed == ["hr.csv"]
    hashed.clear()
    assert load_source(con, "hr_employees", sources, "run-4").files_read == 0
    assert hashed == []
    # new content of the same size at a new time: read again
    write_hr(sources, "hr.csv", [["E1", "PR", "Einkauf", "01.01.2020", ""]])
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 9_000_000_000))
    assert load_source(con, "hr_employees", sources, "run-5").files_read == 1
    assert con.execute("select employee_id, org_unit from raw_files.hr_employees union all "
                       "select employee_id, org_unit from raw_held.hr_employees").fetchall() \
        == [("E1", "PR")]


def test_a_new_later_file_wins_per_key_and_lineage_says_which(con, sources):
    first = write_hr(sources, "hr_2025-01.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""],
                                                 ["E2", "VT", "Vertrieb", "01.01.2021", ""]])
    load_all(con, sources, "run-1")
    second = write_hr(sources, "hr_2025-02.csv", [["E2", "VT-IN", "Vertrieb", "01.01.2021",
                                                   "28.02.2025"]])
    results = {r.source: r for r in load_all(con, sources, "run-2")}
    assert results["hr_employees"].files_read == 1
    assert results["hr_employees"].files_loaded == 2
    assert table(con, "hr_employees", "employee_id, org_unit_id, exit_date is not null, "
                 "_source, _file_name, _row_number, _file_hash, _load_id",
                 order="employee_id") == [
        ("E1", "EK", False, "hr_employees", "hr_2025-01.csv", 1, sha256(first), "run-1"),
        ("E2", "VT-IN", True, "hr_employees", "hr_2025-02.csv", 1, sha256(second), "run-2")]
    # the load time is the file's, as the registry has it
    assert con.execute(
        "select count(*) from raw.hr_employees r join meta.loaded_files f "
        "on f.file_name = r._file_name and f.loaded_at = r._loaded_at").fetchone()[0] == 2


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_removed_and_replaced_files_take_their_rows_with_them(con, sources):
    first = write_hr(sources, "hr_2025-01.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""]])
    second = write_hr(sources, "hr_2025-02.csv", [["E2", "EK", "Einkauf", "01.01.2020", ""],
                                                  ["E3", "EK", "Einkauf", "kaputt", ""]])
    load_all(con, sources, "run-1")
    assert len(quarantine(con, "hr_employees")) == 1
    first.unlink()
    write_hr(sources, "hr_2025-02.csv", [["E2", "PR", "Einkauf", "01.01.2020", ""]])
    result = load_source(con, "hr_employees", sources, "run-2")
    assert table(con, "hr_employees", "employee_id, org_unit_id") == [("E2", "PR")]
    assert quarantine(con, "hr_employees") == []
    assert (result.files_loaded, result.files_read, result.rows_total) == (1, 1, 1)
    # a file that turns bad is rejected and its earlier rows are gone as well
    second.write_bytes(b"employee_id;role\r\nE2;Einkauf\r\n")
    result = load_source(con, "hr_employees", sources, "run-3")
    assert len(result.rejected_files) == 1
    assert table(con, "hr_employees") == []


def test_references_are_re_evaluated_without_reading_files_again(con, sources):
    write_hr(sources, "hr.csv", [["E1", "Qualitätssicherung", "Prüfer", "01.01.2020", ""]])
    write_delimited(sources / "it_licenses" / "lic.csv", [
        ["employee_id", "tool", "assigned_from"], ["E1", "CRM", "01.01.2025"],
        ["E2", "CRM", "01.01.2025"]])
    load_all(con, sources, "run-1")
    assert [r[2] for r in quarantine(con, "hr_employees")] == ["org_unit"]
    assert [r[2] for r in quarantine(con, "it_licenses")] == ["employee_id"]
    # the analyst adds the unit to the org tree and the missing employee to HR
    org = sources / "config" / "org_units.csv"
    org.write_bytes(org.read_bytes() + "QS;Qualitätssicherung;PR\r\n".encode("cp1252"))
    write_hr(sources, "hr_2.csv", [["E2", "EK", "Einkauf", "01.01.2020", ""]])
    results = {r.source: r for r in load_all(con, sources, "run-2")}
    assert results["it_licenses"].files_read == 0
    assert quarantine(con, "hr_employees") == []
    assert quarantine(con, "it_licenses") == []
    assert table(con, "hr_employees", "employee_id, org_unit_id", order="employee_id") == [
        ("E1", "QS"), ("E2", "EK")]


def test_survey_files_are_read_again_when_the_catalog_changes(con, sources):
    write_delimited(sources / "survey_responses" / "s.csv", [
        ["id", "submitdate", "org_unit", "Q01", "Q02", "Q03 [neu]"],
        ["1", "2025-05-01 10:00", "EK", "4", "7", "2"]], delimiter=",", encoding="utf-8")
    load_all(con, sources, "run-1")
    assert table(con, "survey_responses", "question_id", order="question_id") == [("Q01",)]
    assert [r[2] for r in quarantine(con, "survey_responses")] == ["Q02"]
    q = sources / "config" / "survey_questions.csv"
    q.write_text(q.read_text(encoding="utf-8").replace("1,5,x", "1,7,x")
                 + "Q03,innovation,neu,1,5,\n", encoding="utf-8")
    results = {r.source: r for r in load_all(con, sources, "run-2")}
    assert results["survey_responses"].files_read == 1
    assert table(con, "survey_responses", "question_id, answer", order="question_id") == [
        ("Q01", 4.0), ("Q02", 7.0), ("Q03", 2.0)]


def test_hidden_and_office_lock_files_are_ignored(con, sources):
    write_hr(sources, "hr.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""]])
    (sources / "hr_employees" / ".DS_Store").write_bytes(b"\x00\x01")
    (sources / "hr_employees" / "~$hr.xlsx").write_bytes(b"lock")
    result = load_source(con, "hr_employees", sources, "run-1")
    assert result.rejected_files == []
    assert result.files_loaded == 1


def test_a_missing_source_folder_gives_an_empty_table(con, sources):
    result = load_source(con, "crm_leads", sources, "run-1")
    assert (result.files_loaded, result.rows_loaded, result.rejected_files) == (0, 0, [])
    assert table(con, "crm_leads") == []
    columns = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' "
        "and table_name = 'crm_leads' order by ordinal_position").fetchall()]
    assert columns == ["lead_id", "created_date", "org_unit_id", "source_channel", "status",
                       "closed_date", "expected_value", "_source", "_file_name", "_file_hash",
                       "_row_number", "_load_id", "_loaded_at", "_stored_row"]


ORDER_HEADER = ["order_id", "order_date", "customer_id", "org_unit", "channel",
                "net_amount", "status"]
USAGE_HEADER = ["employee_id", "tool", "activity_date", "events"]


def write_orders(sources: Path, name: str, rows: list[list[str]]) -> Path:
    return write_delimited(sources / "erp_orders" / name, [ORDER_HEADER, *rows])


def write_usage(sources: Path, name: str, rows: list[list[str]]) -> Path:
    return write_delimited(sources / "it_usage" / name, [USAGE_HEADER, *rows])


def recorded_state(con, source: str) -> tuple:
    return con.execute("select fingerprint, merged_from, merged_files from meta.raw_state "
                       "where source = ?", [source]).fetchall()[0]


def test_added_files_are_merged_by_key_into_the_table_a_rebuild_gives(con, sources, tmp_path,
                                                                      caplog):
    """A daily export is merged in (not the whole table rebuilt), with the same outcome:
    the later file wins per key, also against a file that sorts before the existing ones,
    bad and conflicting rows of the new file are quarantined, old quarantine rows stay."""
    write_hr(sources, "hr.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""]])
    write_orders(sources, "auftraege_2025-01.csv", [
        ["A1", "02.01.2025", "K1", "VT-IN", "Webshop", "100,00", "fakturiert"],
        ["A2", "03.01.2025", "K1", "VT-IN", "Telefon", "200,00", "offen"],
        ["A3", "03.01.2025", "K2", "VT-EX", "EDI", "300,00", "offen"],
        ["A4", "kaputt", "K2", "VT-EX", "EDI", "400,00", "offen"]])
    write_usage(sources, "nutzung_2025-01.csv", [
        ["E1", "CRM", "02.01.2025", "3"], ["E1", "ERP", "02.01.2025", "1"]])
    load_all(con, sources, "run-1")
    first_state = recorded_state(con, "erp_orders")
    assert first_state[1:] == (None, None)  # built from all files, nothing merged
    # the daily exports: A2 corrected, A5 new, a bad and a conflicting row; an older
    # re-export of A3 (sorts first: the existing file keeps A3); usage corrected and new
    write_orders(sources, "auftraege_2025-02-01_tag.csv", [
        ["A2", "03.01.2025", "K1", "VT-IN", "Telefon", "250,00", "geliefert"],
        ["A5", "01.02.2025", "K3", "VT-IN", "Webshop", "50,00", "offen"],
        ["A6", "01.02.2025", "K3", "Nirgendwo", "Webshop", "60,00", "offen"],
        ["A7", "01.02.2025", "K3", "VT-IN", "Webshop", "70,00", "offen"],
        ["A7", "01.02.2025", "K3", "VT-IN", "Webshop", "75,00", "offen"]])
    write_orders(sources, "auftraege_2024-12.csv", [
        ["A3", "03.01.2025", "K2", "VT-EX", "EDI", "999,00", "offen"]])
    write_usage(sources, "nutzung_2025-02-01_tag.csv", [
        ["E1", "CRM", "02.01.2025", "5"], ["E1", "CRM", "01.02.2025", "2"]])
    caplog.set_level("INFO", logger="leitstand.ingest")
    results = {r.source: r for r in load_all(con, sources, "run-2")}
    assert "erp_orders: 2 new file(s) merged into raw.erp_orders by key" in caplog.text
    assert "it_usage: 1 new file(s) merged into raw.it_usage by key" in caplog.text
    assert results["erp_orders"].files_read == 2
    # what the gate needs to check only the merged rows: the state before, and the files
    fingerprint, merged_from, merged_files = recorded_state(con, "erp_orders")
    assert fingerprint != first_state[0] and merged_from == first_state[0]
    assert sorted(merged_files) == ["auftraege_2024-12.csv", "auftraege_2025-02-01_tag.csv"]
    assert table(con, "erp_orders", "order_id, net_amount, status, _file_name",
                 order="order_id") == [
        ("A1", 100.0, "invoiced", "auftraege_2025-01.csv"),
        ("A2", 250.0, "delivered", "auftraege_2025-02-01_tag.csv"),
        ("A3", 300.0, "open", "auftraege_2025-01.csv"),
        ("A5", 50.0, "open", "auftraege_2025-02-01_tag.csv")]
    assert [(f, r, c) for f, r, c, _ in quarantine(con, "erp_orders")] == [
        ("auftraege_2025-01.csv", 4, "order_date"),
        ("auftraege_2025-02-01_tag.csv", 3, "org_unit"),
        ("auftraege_2025-02-01_tag.csv", 4, "order_id"),
        ("auftraege_2025-02-01_tag.csv", 5, "order_id")]
    assert table(con, "it_usage", "tool, activity_date::varchar, events",
                 order="tool, activity_date") == [
        ("CRM", "2025-01-02", 5), ("CRM", "2025-02-01", 2), ("ERP", "2025-01-02", 1)]
    # the same folder read in one go: the same tables
    import duckdb

    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    load_all(fresh, sources, "run-1")
    assert raw_state(con) == raw_state(fresh)
    fresh.close()
    # a file gone: rebuilt from all files again, no merge on record
    (sources / "erp_orders" / "auftraege_2024-12.csv").unlink()
    load_all(con, sources, "run-3")
    assert recorded_state(con, "erp_orders")[1:] == (None, None)


def test_a_rebuild_decides_the_winner_among_repeated_keys_only_with_the_same_result(con,
                                                                                     sources):
    """The rebuild resolves "the later file wins" only for keys that repeat; the table is
    the one a window over every key gives (in no promised row order: store.py)."""
    write_hr(sources, "hr.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""],
                                 ["E2", "EK", "Einkauf", "01.01.2020", ""]])
    days = [f"{d:02d}.01.2025" for d in range(1, 29)]
    write_usage(sources, "nutzung_2025-01-a.csv",
                [["E1", "CRM", d, str(i)] for i, d in enumerate(days)])
    write_usage(sources, "nutzung_2025-01-b.csv",  # repeats E1/CRM on the 5th..9th
                [["E2", "ERP", d, "1"] for d in days[:10]]
                + [["E1", "CRM", d, "100"] for d in days[4:9]])
    write_usage(sources, "nutzung_2025-01-c.csv",  # and the 7th once more; E2/ERP on the 2nd
                [["E1", "CRM", days[6], "700"], ["E2", "ERP", days[1], "7"],
                 ["E2", "CRM", days[0], "3"]])
    load_all(con, sources, "run-1")
    got = con.execute("select employee_id, tool, activity_date, events, _file_name, "
                      "_row_number from raw.it_usage order by _file_name, _row_number").fetchall()
    reference = con.execute("""
        select employee_id, tool, activity_date, events, _file_name, _row_number
        from (select * from raw_files.it_usage union all select * from raw_held.it_usage)
        where _problem_column is null
        qualify row_number() over (partition by employee_id, tool, activity_date
                                   order by _file_name desc, _row_number desc) = 1
        order by _file_name, _row_number""").fetchall()
    assert got == reference
    assert len(got) == 28 + 10 + 1  # each key once (E1/CRM, E2/ERP, E2/CRM days)
    events = {(e, t, str(d)): n for e, t, d, n, _, _ in got}
    assert events[("E1", "CRM", "2025-01-07")] == 700 and events[("E1", "CRM", "2025-01-05")] == 100
    assert events[("E2", "ERP", "2025-01-02")] == 7 and events[("E1", "CRM", "2025-01-01")] == 0


def test_the_keys_two_files_share_are_found_within_their_overlapping_key_ranges(con):
    """The rebuild groups only the rows holding a key of the smaller of two files whose key
    ranges overlap (within the overlap), or a key with an empty field, to find the repeated
    keys: the same keys as grouping every row, for files that overlap in no, some or every
    key column, and when most rows are in such files (then every row is grouped). Fails when
    the rows with an empty key field are not grouped, or ranges compared strictly."""
    c = contract("it_usage")
    store.ensure_schemas(con)
    store.ensure_store(con, c)

    def add(file_name: str, rows: list[tuple]) -> None:
        con.executemany("insert into raw_files.it_usage (employee_id, tool, activity_date, "
                        "_file_name, _row_number) values (?, ?, ?, ?, ?)",
                        [(*row, file_name, i + 1) for i, row in enumerate(rows)])

    class Recorder:
        """The connection, recording the statements `_repeated_keys` runs."""

        def __init__(self) -> None:
            self.statements: list[str] = []

        def execute(self, sql: str, *args):
            self.statements.append(sql)
            return con.execute(sql, *args)

    def repeated() -> tuple[list[tuple], bool]:
        """The keys found, and whether they were looked for among some rows only."""
        recorder = Recorder()
        store._repeated_keys(recorder, c)
        narrowed = "semi join" in recorder.statements[-1]
        return sorted(con.execute("select * from _repeated").fetchall(), key=str), narrowed

    def every_row_grouped() -> list[tuple]:
        return sorted(con.execute(
            "select employee_id, tool, activity_date from raw_files.it_usage "
            "group by all having count(*) > 1").fetchall(), key=str)

    january = [(f"E{e}", tool, dt.date(2025, 1, d)) for e in range(1, 5)
               for tool in ("CRM", "ERP") for d in range(1, 29)]
    add("u_2025-01.csv", january)
    add("u_2025-02.csv", [(e, t, d.replace(month=2)) for e, t, d in january])
    add("u_2025-03.csv", [(e, t, d.replace(month=3)) for e, t, d in january])
    # in range of January's employees and tools but not its dates, of February's dates and
    # tools but not its employees
    add("u_dezember.csv", [("E1", "CRM", dt.date(2024, 12, 1)),
                           ("E4", "ERP", dt.date(2024, 12, 31))])
    add("u_neu.csv", [("E5", "CRM", dt.date(2025, 2, 1)), ("E9", "ERP", dt.date(2025, 2, 28))])
    assert store._key_overlaps(con, c) == []
    assert repeated() == (every_row_grouped(), True) == ([], True)
    # a correction repeating two keys of February's (its range reaches into March's), and a
    # key with an empty tool that a later file repeats (the empty field in no range)
    add("u_2025-02_korrektur.csv", [("E2", "ERP", dt.date(2025, 2, 3)),
                                    ("E3", "CRM", dt.date(2025, 2, 20)),
                                    ("E4", None, dt.date(2025, 3, 5))])
    add("u_2025-03_nachtrag.csv", [("E4", None, dt.date(2025, 3, 5))])
    assert sorted(store._key_overlaps(con, c)) == [
        ("u_2025-02_korrektur.csv", 3, "E2", "E4", "CRM", "ERP",
         dt.date(2025, 2, 3), dt.date(2025, 2, 28)),
        ("u_2025-02_korrektur.csv", 3, "E2", "E4", "CRM", "ERP",
         dt.date(2025, 3, 1), dt.date(2025, 3, 5))]
    assert repeated() == (every_row_grouped(), True)
    assert every_row_grouped() == sorted([
        ("E2", "ERP", dt.date(2025, 2, 3)), ("E3", "CRM", dt.date(2025, 2, 20)),
        ("E4", None, dt.date(2025, 3, 5))], key=str)
    # a key at the very edge of both ranges (the last day of January, in a file beginning
    # there)
    add("u_2025-01-28_tag.csv", [("E4", "ERP", dt.date(2025, 1, 28)),
                                 ("E5", "ERP", dt.date(2025, 1, 29))])
    assert repeated() == (every_row_grouped(), True)
    assert ("E4", "ERP", dt.date(2025, 1, 28)) in every_row_grouped()
    # January exported four times more: most rows are now in the smaller file of a pair,
    # and every row is grouped
    for copy in "bcde":
        add(f"u_2025-01_{copy}.csv", january)
    assert repeated() == (every_row_grouped(), False)
    assert len(every_row_grouped()) == len(january) + 3


def test_verdicts_stored_with_the_rows_stand_until_the_tables_they_refer_to_change(con,
                                                                                   sources):
    """A row's checks against HR and the org units are stored with it when its file is
    read; a rebuild uses them while those tables are unchanged (10 M order lines are not
    checked again because a file went) and checks every row again once they change."""
    write_hr(sources, "hr.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""]])
    write_usage(sources, "nutzung_2025-01.csv", [["E1", "CRM", "02.01.2025", "3"],
                                                 ["E2", "CRM", "02.01.2025", "1"]])
    february = write_usage(sources, "nutzung_2025-02.csv", [["E1", "ERP", "03.02.2025", "2"]])
    load_all(con, sources, "run-1")
    assert quarantine(con, "it_usage") == [
        ("nutzung_2025-01.csv", 2, "employee_id", "employee id not in hr_employees")]
    # a verdict that only the stored one can explain: E1's January row, marked as stored
    con.execute("update raw_files.it_usage set _q_column = 'tool', _q_reason = 'as stored', "
                "_q_value = 'CRM' where _file_name = 'nutzung_2025-01.csv' and _row_number = 1")
    february.unlink()  # a rebuild; HR and the org units as they were
    load_source(con, "it_usage", sources, "run-2")
    assert quarantine(con, "it_usage") == [
        ("nutzung_2025-01.csv", 1, "tool", "as stored"),
        ("nutzung_2025-01.csv", 2, "employee_id", "employee id not in hr_employees")]
    # HR changes (E2 arrives): every stored row is checked again
    write_hr(sources, "hr_2.csv", [["E2", "EK", "Einkauf", "01.01.2020", ""]])
    load_source(con, "hr_employees", sources, "run-3")
    load_source(con, "it_usage", sources, "run-3")
    assert quarantine(con, "it_usage") == []
    assert table(con, "it_usage", "employee_id, tool", order="all") == [("E1", "CRM"),
                                                                        ("E2", "CRM")]
    # the rows stored anew with their new verdicts are the store as this version writes it:
    # the next run reads no file again
    assert load_source(con, "it_usage", sources, "run-4").files_read == 0
    assert table(con, "it_usage", "employee_id, tool", order="all") == [("E1", "CRM"),
                                                                        ("E2", "CRM")]


def test_a_store_of_an_earlier_version_is_taken_over_and_shown_through_the_view(
        con, sources):
    """Versions before the view kept every stored row, good and bad, in raw_files and wrote
    raw.<source> as a table. Such a build database is not merged into: the next run holds
    the bad rows back, makes raw.<source> the view, and a new file's rows are in."""
    write_hr(sources, "hr.csv", [["E1", "EK", "Einkauf", "01.01.2020", ""]])
    write_orders(sources, "auftraege_2025-01.csv", [
        ["A1", "02.01.2025", "K1", "VT-IN", "Webshop", "100,00", "offen"],
        ["A9", "kaputt", "K1", "VT-IN", "Webshop", "100,00", "offen"]])
    load_all(con, sources, "run-1")
    con.execute("""
        insert into raw_files.erp_orders select * from raw_held.erp_orders;
        drop table raw_held.erp_orders;
        create table raw.old_orders as select * exclude (_stored_row) from raw.erp_orders;
        drop view raw.erp_orders;
        alter table raw.old_orders rename to erp_orders""")
    write_orders(sources, "auftraege_2025-02-01_tag.csv", [
        ["A2", "01.02.2025", "K1", "VT-IN", "Webshop", "50,00", "offen"]])
    load_all(con, sources, "run-2")
    assert con.execute("select table_type from information_schema.tables "
                       "where table_schema = 'raw' and table_name = 'erp_orders'"
                       ).fetchall() == [("VIEW",)]
    assert recorded_state(con, "erp_orders")[1:] == (None, None)  # rebuilt, not merged
    assert table(con, "erp_orders", "order_id", order="order_id") == [("A1",), ("A2",)]
    assert [(f, r, c) for f, r, c, _ in quarantine(con, "erp_orders")] == [
        ("auftraege_2025-01.csv", 2, "order_date")]


def test_a_merged_file_whose_stored_verdicts_are_stale_is_checked_again(con, sources,
                                                                        tmp_path):
    """The org units refer to themselves: a file's parents are checked as it is stored,
    before its own units are known. Added to a build that had none, it is merged in with
    its rows checked again — the tables of the folder read in one go."""
    import duckdb

    org = sources / "config" / "org_units.csv"
    text = org.read_bytes()
    org.unlink()
    load_all(con, sources, "run-1")
    assert table(con, "org_units", "org_unit_id") == []
    org.write_bytes(text)
    load_all(con, sources, "run-2")
    assert recorded_state(con, "org_units")[2] == ["org_units.csv"]  # merged
    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    load_all(fresh, sources, "run-1")

    def org_state(db):
        return (db.execute("select * exclude (_load_id, _loaded_at, _stored_row) "
                           "from raw.org_units order by all").fetchall(),
                quarantine(db, "org_units"))

    assert org_state(con) == org_state(fresh)
    assert len(org_state(con)[0]) > 3 and org_state(con)[1] == []
    fresh.close()
