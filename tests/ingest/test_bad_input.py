"""Bad input (docs/sources.md, second table): bad rows quarantined, bad files rejected clearly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dagster_project.ingest.loader import load_config, load_source

from .conftest import quarantine, table, write_delimited, write_xlsx

ERP_HEADER = ["order_id", "order_date", "confirmed_date", "customer_id", "org_unit", "channel",
              "net_amount", "currency", "status"]


def erp(order_id, order_date="01.03.2025", org="VT", amount="10,00", currency="EUR",
        status="offen", customer="K1", channel="Webshop"):
    return [order_id, order_date, "", customer, org, channel, amount, currency, status]


def load(con, sources: Path, *names: str):
    load_config(con, sources, "load-1")
    return [load_source(con, n, sources, "load-1") for n in names][-1]


def test_each_bad_row_is_quarantined_with_column_and_reason(con, sources):
    write_delimited(sources / "erp_orders" / "orders.csv", [
        ERP_HEADER,
        erp("A1"),                                   # good
        erp("A2", order_date=""),                    # missing required value
        erp("A3", order_date="31.02.2025"),          # unparsable date
        erp("A4", amount="zwölf"),                   # unparsable number
        erp("A5", org="Vertrieb Nord"),              # unknown org unit
        erp("A6", status="in Klärung"),              # status outside the list
        erp("A7", currency="USD"),                   # not EUR, no rate
        erp("", customer="K9"),                      # missing key
        erp("A8"),                                   # good
    ])
    result = load(con, sources, "erp_orders")
    assert quarantine(con, "erp_orders") == [
        ("orders.csv", 2, "order_date", "required value missing"),
        ("orders.csv", 3, "order_date", "unparsable date '31.02.2025'"),
        ("orders.csv", 4, "net_amount", "unparsable number 'zwölf'"),
        ("orders.csv", 5, "org_unit",
         "unknown org unit 'Vertrieb Nord' (known: see config/org_units.csv)"),
        ("orders.csv", 6, "status",
         "status 'in Klärung' not in open, delivered, invoiced, cancelled"),
        ("orders.csv", 7, "currency",
         "no exchange rate for USD in 2025-03: add it to config/exchange_rates.csv"),
        ("orders.csv", 8, "order_id", "required value missing"),
    ]
    assert [r[0] for r in table(con, "erp_orders", "order_id", order="order_id")] == ["A1", "A8"]
    assert (result.rows_total, result.rows_loaded, result.rows_quarantined) == (9, 2, 7)
    raw_value = con.execute("select raw_value from dq.quarantine where row_number = 5"
                            ).fetchall()
    assert raw_value == [("Vertrieb Nord",)]


def test_a_files_unambiguous_amounts_decide_how_its_ambiguous_ones_are_read(con, sources):
    """A comma-separated export with decimal commas, a semicolon one with decimal points:
    the values that show their separator decide the column's (the delimiter would say the
    other), so `1,234` and `1.234` both read as 1.234."""
    write_delimited(sources / "erp_orders" / "a_en.csv", [
        ERP_HEADER, erp("A1", amount="12,50"), erp("A2", amount="1,234"), erp("A3", amount="7")],
        delimiter=",")
    write_delimited(sources / "erp_orders" / "b_de.csv", [
        ERP_HEADER, erp("B1", amount="12.50"), erp("B2", amount="1.234"), erp("B3", amount="7")])
    load(con, sources, "erp_orders")
    assert table(con, "erp_orders", "order_id, net_amount", order="order_id") == [
        ("A1", 12.5), ("A2", 1.234), ("A3", 7.0), ("B1", 12.5), ("B2", 1.234), ("B3", 7.0)]


def test_duplicates_in_one_file_exact_collapsed_conflicting_quarantined(con, sources):
    write_delimited(sources / "erp_orders" / "orders.csv", [
        ERP_HEADER, erp("A1"), erp("A1"), erp("A2", amount="1,00"), erp("A2", amount="2,00"),
        erp("A3"), erp("A4"), erp("A4", amount="3,00"), erp("A4")])
    result = load(con, sources, "erp_orders")
    assert result.duplicates_collapsed == 1
    # a key with differing values keeps every row in quarantine, exact copies among them too
    assert quarantine(con, "erp_orders") == [
        ("orders.csv", row, "order_id", "duplicate key with different values in the same file")
        for row in (3, 4, 6, 7, 8)
    ]
    assert table(con, "erp_orders", "order_id, _row_number", order="order_id") == [
        ("A1", 1), ("A3", 5)]


def test_survey_duplicates_compare_answers_as_cleaned_text(con, sources):
    """A response exported twice is collapsed when its answers read the same once cleaned
    (spaces, `k.A.` = empty); with another answer it is a conflict, quarantined."""
    header = ["id", "submitdate", "Organisationseinheit", "Q01", "Q02", "Q07"]
    write_delimited(sources / "survey_responses" / "results.csv", [
        header,
        ["1", "2025-05-12 14:05:33", "VT-IN", "4", "k.A.", "5"],
        ["1", "2025-05-12 14:05:33", "VT-IN", " 4 ", "", "5"],
        ["2", "2025-05-12 15:00:00", "VT-IN", "3", "2", "1"],
        ["2", "2025-05-12 15:00:00", "VT-IN", "3", "2", "2"],
    ], delimiter=";", encoding="utf-8")
    result = load(con, sources, "survey_responses")
    assert result.duplicates_collapsed == 1
    assert table(con, "survey_responses", "response_id, question_id, answer, _row_number",
                 order="response_id, question_id") == [
        ("1", "Q01", 4.0, 1), ("1", "Q07", 5.0, 1)]
    assert [(f, r, c) for f, r, c, _ in quarantine(con, "survey_responses")] == [
        ("results.csv", 3, "response_id"), ("results.csv", 4, "response_id")]


def test_conditional_required_values_and_ranges(con, sources):
    write_delimited(sources / "crm_leads" / "leads.csv", [
        ["lead_id", "created_date", "org_unit", "source_channel", "status", "closed_date"],
        ["L1", "01.01.2025", "VT", "Messe", "gewonnen", ""],
        ["L2", "01.01.2025", "VT", "Messe", "verloren", "01.02.2025"],
        ["L3", "01.01.2025", "VT", "Messe", "offen", ""]])
    write_delimited(sources / "lms_trainings" / "lms.csv", [
        ["employee_id", "course_id", "status", "completed_date"],
        ["E1", "DS-01", "abgeschlossen", ""], ["E1", "DS-02", "angemeldet", ""]])
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"], ["E1", "EK", "Einkauf", "01.01.2020"]])
    write_delimited(sources / "projects" / "p.csv", [
        ["project_id", "project_name", "org_unit", "status_date", "budget_eur",
         "cost_to_date_eur", "percent_complete"],
        ["P1", "CRM", "VT", "30.09.2025", "100", "50", "120 %"],
        ["P2", "MES", "PR", "30.09.2025", "100", "50", "-5"],
        ["P3", "DMS", "PR", "30.09.2025", "100", "50", "100"]])
    load(con, sources, "hr_employees", "crm_leads", "lms_trainings", "projects")
    assert quarantine(con, "crm_leads") == [
        ("leads.csv", 1, "closed_date", "closed_date required for status 'won'")]
    assert quarantine(con, "lms_trainings") == [
        ("lms.csv", 1, "completed_date", "completed_date required for status 'completed'")]
    assert quarantine(con, "projects") == [
        ("p.csv", 1, "percent_complete", "percent_complete '120 %' outside 0..100"),
        ("p.csv", 2, "percent_complete", "percent_complete '-5' outside 0..100")]


def test_unknown_employee_and_project_ids(con, sources):
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"],
        ["E1", "EK", "Einkauf", "01.01.2020"],
        ["E2", "Vertrieb Nord", "Vertrieb", "01.01.2020"]])   # known id, bad org unit
    for source, header, row_good, row_bad in [
        ("it_licenses", ["employee_id", "tool", "assigned_from"],
         ["E1", "CRM", "01.01.2025"], ["E9", "CRM", "01.01.2025"]),
        ("it_usage", ["employee_id", "tool", "activity_date"],
         ["E2", "CRM", "01.01.2025"], ["E9", "CRM", "01.01.2025"]),
        ("lms_trainings", ["employee_id", "course_id", "status"],
         ["E1", "DS-01", "angemeldet"], ["E9", "DS-01", "angemeldet"]),
    ]:
        write_delimited(sources / source / "x.csv", [header, row_good, row_bad])
    write_delimited(sources / "projects" / "p.csv", [
        ["project_id", "project_name", "org_unit", "status_date", "budget_eur",
         "cost_to_date_eur", "percent_complete"], ["P1", "CRM", "VT", "30.09.2025", "1", "1", "1"]])
    write_delimited(sources / "project_milestones" / "m.csv", [
        ["project_id", "milestone_id", "planned_date"], ["P1", "M1", "01.10.2025"],
        ["P9", "M1", "01.10.2025"]])
    load(con, sources, "hr_employees", "it_licenses", "it_usage", "lms_trainings", "projects",
         "project_milestones")
    for source in ("it_licenses", "it_usage", "lms_trainings"):
        assert quarantine(con, source) == [
            ("x.csv", 2, "employee_id", "employee id not in hr_employees")]
        assert len(table(con, source)) == 1
    assert quarantine(con, "project_milestones") == [
        ("m.csv", 2, "project_id", "project id not in projects")]


def test_a_row_with_more_fields_than_the_header_is_quarantined(con, sources):
    path = sources / "hr_employees" / "hr.csv"
    path.parent.mkdir(parents=True)
    path.write_text("employee_id;org_unit;role;entry_date\r\nE1;EK;Einkauf;01.01.2020\r\n"
                    "E2;EK;Einkauf;01.01.2020;unerwartet\r\nE3;EK\r\n", encoding="utf-8")
    load(con, sources, "hr_employees")
    assert quarantine(con, "hr_employees") == [
        ("hr.csv", 2, "(row)", "row has more fields than the header"),
        # every problem of a row, one line per column: one run shows all there is to fix
        ("hr.csv", 3, "entry_date", "required value missing"),
        ("hr.csv", 3, "role", "required value missing")]


def test_a_quarantined_row_replaces_nothing(con, sources):
    write_delimited(sources / "erp_orders" / "orders_2025-03.csv", [ERP_HEADER, erp("A1")])
    write_delimited(sources / "erp_orders" / "orders_2025-04.csv", [
        ERP_HEADER, erp("A1", order_date="32.03.2025"), erp("A2", amount="5,00")])
    write_delimited(sources / "erp_orders" / "orders_2025-05.csv", [
        ERP_HEADER, erp("A2", amount="7,00", status="geliefert")])
    load(con, sources, "erp_orders")
    assert table(con, "erp_orders", "order_id, order_date, net_amount, status, _file_name",
                 order="order_id") == [
        ("A1", dt.date(2025, 3, 1), 10.0, "open", "orders_2025-03.csv"),
        ("A2", dt.date(2025, 3, 1), 7.0, "delivered", "orders_2025-05.csv")]


def test_missing_required_column_rejects_the_file_with_one_clear_line(con, sources):
    write_delimited(sources / "erp_orders" / "orders_2025-03.csv", [
        [h for h in ERP_HEADER if h != "order_date"], ["A1", "", "K1", "VT", "Web", "1", "", ""]])
    write_delimited(sources / "erp_orders" / "orders_2025-04.csv", [ERP_HEADER, erp("A2")])
    result = load(con, sources, "erp_orders")
    assert [str(p) for p in result.rejected_files] == [
        "sources/erp_orders/orders_2025-03.csv (erp_orders): required column 'order_date' "
        "missing — accepted headers: order_date, Auftragsdatum, Belegdatum, Bestelldatum, "
        "Order Date, Order Date (UTC), Created at"]
    assert result.rejected_files[0].file_name == "orders_2025-03.csv"
    assert table(con, "erp_orders", "order_id") == [("A2",)]   # the rest still loads
    assert result.files_loaded == 1


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("orders.pdf", b"%PDF-1.4", "unknown file type '.pdf' — accepted: .csv, .txt, .xlsx"),
        ("orders.xls", b"\xd0\xcf\x11\xe0", "unknown file type '.xls'"),
        ("orders.csv", b"", "the file is empty"),
        ("orders.txt", b"\xef\xbb\xbf\r\n", "the file is empty"),
        ("orders.xlsx", b"not a zip", "not readable as an .xlsx workbook"),
        ("orders.csv", b"\x7fELF\x02\x01\x00\x00\x00;\x00", "binary content"),
        ("orders.csv", ";".join(ERP_HEADER).encode() + b"\r\n", "no data rows"),
    ],
)
def test_bad_files_are_rejected_by_name(con, sources, name, content, fragment):
    (sources / "erp_orders").mkdir(parents=True)
    (sources / "erp_orders" / name).write_bytes(content)
    write_delimited(sources / "erp_orders" / "zz_good.csv", [ERP_HEADER, erp("A1")])
    result = load(con, sources, "erp_orders")
    assert len(result.rejected_files) == 1
    line = str(result.rejected_files[0])
    assert line.startswith(f"sources/erp_orders/{name} (erp_orders): ")
    assert fragment in line
    assert table(con, "erp_orders", "order_id") == [("A1",)]


def test_missing_config_file_and_org_tree_without_single_root(con, sources):
    (sources / "config" / "channels.csv").unlink()
    write_delimited(sources / "config" / "org_units.csv", [
        ["org_unit_id", "name", "parent_id"], ["HAT", "Hagedorn", ""], ["XY", "Tochter", ""],
        ["VT", "Vertrieb", "HAT"], ["ZZ", "Waise", "NOPE"]])
    results = {r.source: r for r in load_config(con, sources, "load-1")}
    assert [str(p) for p in results["channels"].rejected_files] == [
        "sources/config/channels.csv (channels): config file missing — add channels.csv with "
        "the columns source, raw_value, channel, is_digital"]
    assert "exactly one root" in str(results["org_units"].rejected_files[0])
    assert "found 2: HAT, XY" in str(results["org_units"].rejected_files[0])
    assert quarantine(con, "org_units") == [
        ("org_units.csv", 4, "parent_id", "parent id not in org_units")]
    assert results["settings"].rejected_files == []   # settings.csv is optional


def test_personal_identifiers_never_reach_the_database_file(tmp_path, sources):
    import duckdb

    secrets = ["Mustermann", "Erika", "erika.muster@hagedorn.example", "+49 5241 123456",
               "0170 9876543"]
    write_xlsx(sources / "hr_employees" / "personal.xlsx", [
        ["Personalnummer", "Vorname", "Nachname", "E-Mail", "Telefon", "Abteilung", "Rolle",
         "Eintritt"],
        ["E1", "Erika", "Mustermann", "erika.muster@hagedorn.example", "+49 5241 123456", "EK",
         "Einkauf", dt.date(2020, 1, 1)]])
    write_delimited(sources / "it_licenses" / "lic.csv", [
        ["employee_id", "Name", "Mobil", "tool", "assigned_from"],
        ["E1", "Erika Mustermann", "0170 9876543", "CRM", "01.01.2025"],
        ["E1", "Erika Mustermann", "0170 9876543", "ERP", "kaputt"]])
    # a shifted row: an unquoted `;` inside the name pushes the e-mail beyond the header
    shifted = sources / "it_usage" / "usage.csv"
    shifted.parent.mkdir(parents=True)
    shifted.write_text("employee_id;Name;tool;activity_date;E-Mail\r\n"
                       "E1;Mustermann; Erika;CRM;01.01.2025;erika.muster@hagedorn.example\r\n",
                       encoding="utf-8")
    db = tmp_path / "privacy.duckdb"
    con = duckdb.connect(str(db))
    load_config(con, sources, "load-1")
    hr = load_source(con, "hr_employees", sources, "load-1")
    lic = load_source(con, "it_licenses", sources, "load-1")
    usage = load_source(con, "it_usage", sources, "load-1")
    assert usage.rows_quarantined == 1
    assert sorted(h for _, h in hr.dropped_columns) == ["E-Mail", "Nachname", "Telefon",
                                                        "Vorname"]
    assert sorted(h for _, h in lic.dropped_columns) == ["Mobil", "Name"]
    text_columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' or data_type like 'VARCHAR%'").fetchall()
    for schema, tbl, col in text_columns:
        values = con.execute(f'select distinct "{col}" from "{schema}"."{tbl}"').fetchall()
        for (value,) in values:
            for secret in secrets:
                assert secret not in str(value), (schema, tbl, col)
    con.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("privacy.duckdb*"))
    for secret in secrets:
        assert secret.encode() not in blob


def test_a_data_row_is_never_taken_for_the_header(con, sources):
    """No header of the file matches, but a data row holds a word that is an alias
    (`System` is one of `tool`): the header is still the first row, and the file is
    rejected naming its real headers, not read from its second row on."""
    write_delimited(sources / "it_licenses" / "programme.csv", [
        ["Mitarbeiter", "Programm", "Von"], ["E1", "System", "01.01.2025"],
        ["E2", "CRM", "01.02.2025"]])
    result = load(con, sources, "it_licenses")
    [message] = [p.message for p in result.rejected_files]
    assert message.startswith("required column 'employee_id' missing")
    assert "required column 'tool' missing" in message


def test_a_file_without_any_header_is_rejected(con, sources):
    write_delimited(sources / "it_licenses" / "ohne_kopf.csv", [
        ["E1", "CRM", "01.01.2025"], ["E2", "ERP", "01.02.2025"]])
    result = load(con, sources, "it_licenses")
    assert [p.message for p in result.rejected_files] == [
        "no header row found: the first rows hold data ('E1;CRM;01.01.2025') — export the "
        "file with its column headers"]


def test_e_mail_addresses_as_ids_are_stored_as_pseudonyms_even_in_held_rows(tmp_path, sources):
    """An id field under a plain header (`Mitarbeiter-ID`, `Employee ID`) whose values are
    e-mail addresses: every value is stored as its keyed pseudonym — the same in both
    sources, so usage joins HR — also in the rows held back with a problem and in the
    quarantine."""
    import duckdb

    from . import producers

    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["Mitarbeiter-ID", "Abteilung", "Rolle", "Eintritt"],
        ["Erika.Muster@hagedorn.example", "EK", "Einkauf", "01.01.2020"],
        ["P-0002", "EK", "Einkauf", "01.01.2021"]])
    write_delimited(sources / "it_usage" / "usage.csv", [
        ["Employee ID", "Tool", "Date"],
        ["erika.muster@hagedorn.example ", "CRM", "03.03.2025"],
        ["erika.muster@hagedorn.example", "ERP", "31.02.2025"],   # held back: bad date
        ["max.power@hagedorn.example", "CRM", "03.03.2025"]])     # held back: not in HR
    data = tmp_path / "data"
    data.mkdir()
    con = duckdb.connect(str(data / "build.duckdb"))
    load_config(con, sources, "load-1")
    load_source(con, "hr_employees", sources, "load-1")
    load_source(con, "it_usage", sources, "load-1")
    erika = producers.pseudonym_of(data, "erika.muster@hagedorn.example")
    assert table(con, "hr_employees", "employee_id", order="1") == [("P-0002",), (erika,)]
    assert table(con, "it_usage", "employee_id, tool") == [(erika, "CRM")]
    assert [r[:3] for r in quarantine(con, "it_usage")] == [
        ("usage.csv", 2, "activity_date"), ("usage.csv", 3, "employee_id")]
    con.execute("checkpoint")
    con.close()
    secrets = ["erika.muster@hagedorn.example", "max.power@hagedorn.example"]
    assert producers.files_holding(data, secrets) == {}
    assert producers.values_holding(data / "build.duckdb", secrets) == {}
