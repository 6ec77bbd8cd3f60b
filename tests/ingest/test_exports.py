"""Exports written the way real tools write them, through `load_source` into `raw.*`.

Each test writes files into `tmp_path` (Excel CSV, LimeSurvey, SAP list, xlsx ...) and
checks the typed raw table: the quirks of docs/sources.md's first table, one by one.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from dagster_project.ingest.loader import load_config, load_source

from .conftest import quarantine, table, write_delimited, write_xlsx

ERP_HEADER_DE = ["Auftragsnummer", "Belegdatum", "AB-Datum", "Kundennummer",
                 "Organisationseinheit", "Bestellkanal", "Nettowert", "Währung", "Status"]


def load(con, sources: Path, source: str):
    load_config(con, sources, "load-1")
    return load_source(con, source, sources, "load-1")


def test_excel_csv_cp1252_semicolon_decimal_comma(con, sources):
    """Excel 'CSV (Trennzeichen-getrennt)': cp1252, `;`, CRLF, `1.234,50`, German dates."""
    write_delimited(sources / "erp_orders" / "auftraege_2025-03-31.csv", [
        ERP_HEADER_DE,
        ["A-1", "03.03.2025", "05.03.25", "K-100", "Vertrieb Inland", "Webshop", "1.234,50",
         "€", "geliefert"],
        ["A-2", "04.03.2025", "", "K-101", "vt-in", "Außendienst", "1.234", "EUR", "offen"],
        ["A-3", "05.03.2025", "-", "K-102", " Werk Gütersloh ", "Fax – manuell", "99,9", "",
         "FAKTURIERT"],
    ], encoding="cp1252")
    result = load(con, sources, "erp_orders")
    assert result.rejected_files == []
    rows = table(con, "erp_orders", "order_id, order_date, confirmed_date, org_unit_id, "
                 "channel, net_amount, currency, status", order="order_id")
    assert rows == [
        ("A-1", dt.date(2025, 3, 3), dt.date(2025, 3, 5), "VT-IN", "Webshop", 1234.5, "EUR",
         "delivered"),
        ("A-2", dt.date(2025, 3, 4), None, "VT-IN", "Außendienst", 1234.0, "EUR", "open"),
        ("A-3", dt.date(2025, 3, 5), None, "PR-W2", "Fax – manuell", 99.9, "EUR", "invoiced"),
    ]


def test_crm_utf8_comma_iso_datetimes_english_headers(con, sources):
    write_delimited(sources / "crm_interactions" / "activities_2025-06-30.csv", [
        ["Activity ID", "Occurred At", "Customer ID", "Department", "Channel", "Direction",
         "Topic"],
        ["I-1", "2025-06-01T14:05", "K-1", "VT-EX", "Webchat", "inbound", "Angebot, dringend"],
        ["I-2", "2025-06-02 09:15:33", "K-2", "Vertrieb Export", "Telefon", "ausgehend",
         'Sagte: "bitte zurückrufen"'],
        ["I-3", "2025-06-03", "K-3", "VT-EX", "E-Mail", "", "Reklamation\nzweite Zeile"],
    ], delimiter=",", encoding="utf-8", newline="\n")
    load(con, sources, "crm_interactions")
    assert table(con, "crm_interactions", "interaction_id, occurred_at, direction, topic",
                 order="interaction_id") == [
        ("I-1", dt.datetime(2025, 6, 1, 14, 5), "inbound", "Angebot, dringend"),
        ("I-2", dt.datetime(2025, 6, 2, 9, 15, 33), "outbound", 'Sagte: "bitte zurückrufen"'),
        ("I-3", dt.datetime(2025, 6, 3), None, "Reklamation\nzweite Zeile"),
    ]


def test_quoted_semicolons_doubled_quotes_and_line_breaks_keep_row_numbers(con, sources):
    write_delimited(sources / "erp_orders" / "a.csv", [
        ERP_HEADER_DE,
        ["A-1", "01.03.2025", "", "K;1", "VT", 'Portal "neu"', "1,00", "EUR", "offen"],
        ["A-2", "01.03.2025", "", "K\r\n2", "VT", "Webshop", "2,00", "EUR", "offen"],
        ["A-3", "31.02.2025", "", "K3", "VT", "Webshop", "3,00", "EUR", "offen"],
    ], quoting=csv.QUOTE_ALL)
    load(con, sources, "erp_orders")
    assert table(con, "erp_orders", "order_id, customer_id, channel, _row_number",
                 order="order_id") == [
        ("A-1", "K;1", 'Portal "neu"', 1), ("A-2", "K\r\n2", "Webshop", 2)]
    # the third data record starts on line 5 of the file but is data row 3
    assert quarantine(con, "erp_orders") == [
        ("a.csv", 3, "order_date", "unparsable date '31.02.2025'")]


def test_sap_pipe_txt_with_title_lines_and_trailing_minus(con, sources):
    """An SAP list export: title line, blank line, `|` delimited, negative as `12,50-`."""
    write_delimited(sources / "projects" / "projekte_2025-09-30.txt", [
        ["Projekt-ID", "Bezeichnung", "Bereich", "Projekttyp", "Stichtag", "Budget",
         "Ist-Kosten", "Fertigstellungsgrad"],
        ["P-1", "ERP-Einführung", "VW-IT", "rollout", "30.09.2025", "250.000,00",
         "12.500,50-", "45 %"],
        ["P-2", "Webshop", "VT", "pilot", "30.09.2025", "80.000", "40.000", "45,5"],
    ], delimiter="|", preamble="Projektstatusbericht Hagedorn|Stand 30.09.2025\r\n\r\n")
    write_delimited(sources / "config" / "org_units.csv",
                    [["org_unit_id", "name", "parent_id"], ["HAT", "Hagedorn", ""],
                     ["VT", "Vertrieb", "HAT"], ["VW-IT", "IT", "HAT"]])
    load(con, sources, "projects")
    assert table(con, "projects", "project_id, budget_eur, cost_to_date_eur, percent_complete",
                 order="project_id") == [("P-1", 250000.0, -12500.5, 45.0),
                                         ("P-2", 80000.0, 40000.0, 45.5)]


def test_tab_delimited_txt_utf8_with_events_default(con, sources):
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"],
        ["E1", "VT-IN", "Vertrieb", "2020-01-01"], ["E2", "EK", "Einkauf", "2021-05-01"]],
        delimiter=",", encoding="utf-8")
    write_delimited(sources / "it_usage" / "nutzung_2025-03.txt", [
        ["Personalnummer", "Anwendung", "Datum", "Anzahl"],
        ["E1", "CRM", "03.03.2025", "12"], ["E2", "CRM", "2025-03-04", ""],
        ["E2", "ERP", "04.03.25", "1.200"],
    ], delimiter="\t", encoding="utf-8", newline="\n")
    load(con, sources, "hr_employees")
    load_source(con, "it_usage", sources, "load-1")
    assert table(con, "it_usage", "employee_id, tool, activity_date, events",
                 order="employee_id, tool") == [
        ("E1", "CRM", dt.date(2025, 3, 3), 12), ("E2", "CRM", dt.date(2025, 3, 4), 1),
        ("E2", "ERP", dt.date(2025, 3, 4), 1200)]


def test_utf8_bom_and_excel_sep_line(con, sources):
    write_delimited(sources / "crm_leads" / "leads.csv", [
        ["Lead-ID", "Erstellt am", "Org-Einheit", "Quelle", "Status", "Abschlussdatum",
         "Erwarteter Umsatz"],
        ["L1", "01.02.2025", "VT", "Messe", "gewonnen", "15.03.2025", "12.000,00"],
        ["L2", "02.02.2025", "VT", "Webinar", "offen", "", ""],
    ], encoding="utf-8", bom=True, preamble="sep=;\r\n")
    load(con, sources, "crm_leads")
    assert table(con, "crm_leads", "lead_id, status, closed_date, expected_value",
                 order="lead_id") == [("L1", "won", dt.date(2025, 3, 15), 12000.0),
                                      ("L2", "open", None, None)]


def test_xlsx_first_sheet_typed_cells_percent_and_title_row(con, sources):
    write_xlsx(sources / "projects" / "status.xlsx", [
        ["Project ID", "Project Name", "Org Unit", "Status Date", "Budget EUR", "Actual Cost",
         "% Complete"],
        ["P-1", "CRM", "VT", dt.datetime(2025, 9, 30), 1234.567, 1000, 0.45],
        ["P-2", "MES", "PR", dt.date(2025, 9, 30), "1.234,50", 2.5, 1],
    ], number_formats={6: "0%"}, title_rows=[["Projektbericht Q3"]])
    load(con, sources, "projects")
    assert table(con, "projects", "project_id, status_date, budget_eur, cost_to_date_eur, "
                 "percent_complete", order="project_id") == [
        ("P-1", dt.date(2025, 9, 30), 1234.567, 1000.0, 45.0),
        ("P-2", dt.date(2025, 9, 30), 1234.5, 2.5, 100.0)]


def test_windows_1252_bytes_outside_latin1_are_read(con, sources):
    path = write_delimited(sources / "erp_orders" / "a.csv", [
        ERP_HEADER_DE,
        ["A-1", "01.03.2025", "", "K1", "VT", "„Portal“ – neu", "1,00", "EUR", "offen"],
        ["A-2", "01.03.2025", "", "K2", "VT", "Müller & Söhne", "1,00", "EUR", "offen"],
    ], encoding="cp1252")
    assert b"\x84" in path.read_bytes()   # „ is 0x84 in Windows-1252
    load(con, sources, "erp_orders")
    assert [r[0] for r in table(con, "erp_orders", "channel", order="order_id")] == [
        "„Portal“ – neu", "Müller & Söhne"]


def test_excel_unicode_text_utf16_tab(con, sources):
    """Excel's "Unicode Text" export: UTF-16 LE with BOM, tab-delimited."""
    path = sources / "hr_employees" / "hr.txt"
    path.parent.mkdir(parents=True)
    text = "Personalnummer\tAbteilung\tRolle\tEintritt\r\nE1\tWerk Gütersloh\tMeister\t01.04.21\r\n"
    path.write_bytes(text.encode("utf-16"))
    load(con, sources, "hr_employees")
    assert table(con, "hr_employees", "employee_id, org_unit_id, role, entry_date") == [
        ("E1", "PR-W2", "Meister", dt.date(2021, 4, 1))]


def test_latin1_only_file_is_read_natively(con, sources):
    write_delimited(sources / "erp_orders" / "a.csv", [
        ERP_HEADER_DE,
        ["A-1", "01.03.2025", "", "K1", "Werk Gütersloh", "Außendienst", "1,00", "EUR", "offen"],
    ], encoding="latin-1")
    load(con, sources, "erp_orders")
    assert table(con, "erp_orders", "org_unit_id, channel") == [("PR-W2", "Außendienst")]


def test_limesurvey_export_is_unpivoted(con, sources):
    """LimeSurvey: UTF-8 BOM, `,`, `Q07 [text]` headers, meta columns, `k.A.`."""
    write_delimited(sources / "survey_responses" / "results-survey-2025-05.csv", [
        ["id", "submitdate", "lastpage", "startlanguage", "seed", "Organisationseinheit",
         "Q01 [Wir haben eine digitale Strategie]", "Q02 [Unsere Prozesse sind papierlos]",
         "Q07 [Ich nutze die neuen Werkzeuge gern]", "Q10 [Wie wahrscheinlich ...]",
         "Q99 [nicht im Katalog]", "email"],
        ["1", "2025-05-12 14:05:33", "3", "de", "123", "VT-IN", "4", "k.A.", "5", "9", "3",
         "a@example.com"],
        ["2", "", "1", "de", "124", "VT-IN", "2", "", "", "", "", ""],
        ["3", "2025-05-13 08:00:00", "3", "de", "125", "Vertrieb", "", "2", "6", "10", "", ""],
    ], delimiter=",", encoding="utf-8", bom=True, quoting=csv.QUOTE_ALL)
    result = load(con, sources, "survey_responses")
    assert table(con, "survey_responses",
                 "response_id, org_unit_id, wave, question_id, answer, _row_number",
                 order="response_id, question_id") == [
        ("1", "VT-IN", "2025-Q2", "Q01", 4.0, 1), ("1", "VT-IN", "2025-Q2", "Q07", 5.0, 1),
        ("1", "VT-IN", "2025-Q2", "Q10", 9.0, 1), ("3", "VT", "2025-Q2", "Q02", 2.0, 3),
        ("3", "VT", "2025-Q2", "Q10", 10.0, 3)]
    assert quarantine(con, "survey_responses") == [
        ("results-survey-2025-05.csv", 3, "Q07", "answer 6 outside the scale 1..5")]
    assert result.dropped_columns == [("results-survey-2025-05.csv", "email")]
    assert result.rows_total == 3


def test_forms_export_with_wave_column_and_plain_question_ids(con, sources):
    write_xlsx(sources / "survey_responses" / "forms.xlsx", [
        ["ID", "Start time", "Completion time", "Email", "Name", "Welle", "Abteilung", "Q01",
         "Q10"],
        [1, dt.datetime(2025, 11, 3, 9), dt.datetime(2025, 11, 3, 9, 5), "anonymous", None,
         "Herbst 2025", "EK", 3, 8],
    ])
    result = load(con, sources, "survey_responses")
    assert table(con, "survey_responses", "response_id, submitted_at, wave, question_id, answer",
                 order="question_id") == [
        ("1", dt.datetime(2025, 11, 3, 9, 5), "Herbst 2025", "Q01", 3.0),
        ("1", dt.datetime(2025, 11, 3, 9, 5), "Herbst 2025", "Q10", 8.0)]
    assert sorted(h for _, h in result.dropped_columns) == ["Email", "Name"]


def test_config_files_are_typed(con, sources):
    load_config(con, sources, "load-1")
    assert table(con, "kpi_targets") [0][:7] == (
        "digital_order_share", "HAT", dt.date(2025, 1, 1), 0.2, dt.date(2026, 12, 31), 0.5,
        0.05)
    assert table(con, "actions", "org_unit_id, due_date, status") == [
        ("VT", dt.date(2026, 6, 30), "offen")]
    assert table(con, "channels", "source, raw_value, channel, is_digital") == [
        ("erp_orders", "B2B-Portal", "Portal", True)]
    assert table(con, "survey_questions", "question_id, scale_min, scale_max, reverse_coded",
                 order="question_id") == [
        ("Q01", 1.0, 5.0, False), ("Q02", 1.0, 5.0, True), ("Q07", 1.0, 5.0, False),
        ("Q10", 0.0, 10.0, False)]
    assert table(con, "settings") == []


@pytest.mark.parametrize("suffix", [".CSV", ".TXT"])
def test_upper_case_suffixes_are_accepted(con, sources, suffix):
    write_delimited(sources / "hr_employees" / f"HR{suffix}", [
        ["employee_id", "org_unit", "role", "entry_date"], ["E1", "EK", "Einkauf", "01.01.20"]])
    result = load(con, sources, "hr_employees")
    assert result.rejected_files == []
    assert table(con, "hr_employees", "entry_date") == [(dt.date(2020, 1, 1),)]
