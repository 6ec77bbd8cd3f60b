"""`config/column_map.csv`, `value_map.csv`, `settings.csv` line items and
`exchange_rates.csv`: validated row by row, and what they do to an export (docs/sources.md,
"When an export does not fit: map it, never edit it"); the dates real tools write."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dagster_project.ingest.loader import load_config, load_source
from dagster_project.ingest.values import install_macros

from . import producers as p
from .conftest import quarantine, table, write_delimited

ORDERS = ["order_id", "order_date", "customer_id", "org_unit", "channel", "net_amount"]


def load(con, sources, *names):
    config = {r.source: r for r in load_config(con, sources, "load-1")}
    return config, {n: load_source(con, n, sources, "load-1") for n in names}


def messages(result) -> list[str]:
    return [p.message for p in result.rejected_files]


def test_every_bad_mapping_row_is_named(con, sources):
    p.column_map(sources, [
        ["erp_order", "", "order_id", "Name", "", ""],                       # 1
        ["erp_orders", "", "ordr_id", "Name", "", ""],                       # 2
        ["erp_orders", "", "order_id", "Name", "A-1", ""],                   # 3
        ["erp_orders", "", "channel", "", "", ""],                           # 4
        ["erp_orders", "", "order_date", "Datum", "", "%d.%m.%Q"],           # 5
        ["erp_orders", "", "net_amount", "Betrag", "", "komma"],             # 6
        ["erp_orders", "", "customer_id", "Kunde", "", "%d.%m.%Y"],          # 7
        ["erp_orders", "", "org_unit", "", "VT", ""],                        # 8: fine
    ])
    p.value_map(sources, [
        ["erp_orders", "status", "refunded", "erstattet"],                   # 1
        ["erp_orders", "channel", "Shop", "Webshop"],                        # 2
        ["survey_responses", "answer", "Stimme zu", "viel"],                 # 3
        ["erp_orders", "status", "voided", "storniert"],                     # 4: fine (German)
    ])
    p.settings_file(sources, [["line_items.erp_orders", "summe"],
                              ["line_items.shop", "sum"]])
    p.exchange_rates(sources, [["USD", "März 2025", "0,92"], ["USD", "2025-04", "0,91"]])
    config, _ = load(con, sources)
    assert messages(config["column_map"]) == [
        "row 1: unknown source 'erp_order' — known: erp_orders, crm_interactions, crm_leads, "
        "hr_employees, it_licenses, it_usage, lms_trainings, survey_responses, projects, "
        "project_milestones",
        "row 2: 'ordr_id' is not a field of erp_orders — known: order_id, order_date, "
        "confirmed_date, customer_id, org_unit, channel, net_amount, currency, status",
        "row 3: give either a header or a constant for order_id (this row has both)",
        "row 4: give either a header or a constant for channel (this row has neither)",
        "row 5: format '%d.%m.%Q' is no date format (Invalid Input Error: Failed to parse "
        "format specifier %d.%m.%Q: Unrecognized format for strftime/strptime: %Q); write it "
        "in strftime notation, e.g. %d.%m.%Y or %m/%d/%Y %I:%M %p",
        "row 6: format 'komma' for the number field net_amount: write decimal_comma (1.234,56) "
        "or decimal_point (1,234.56)",
        "row 7: a format is only for date and number fields; customer_id is text"]
    assert str(config["column_map"].rejected_files[0]).startswith(
        "sources/config/column_map.csv (column_map): row 1: unknown source")
    assert messages(config["value_map"]) == [
        "row 1: 'erstattet' is no value of status — use one of open, delivered, invoiced, "
        "cancelled",
        "row 2: channels are mapped in config/channels.csv (which also says what is digital)",
        "row 3: an answer maps to a number on the question's scale, not 'viel'"]
    assert messages(config["settings"]) == [
        "row 1: line_items.erp_orders = 'summe': write sum (rows with one key are lines of one "
        "record)",
        "row 2: line_items.shop: unknown source 'shop' — known: erp_orders, crm_interactions, "
        "crm_leads, hr_employees, it_licenses, it_usage, lms_trainings, survey_responses, "
        "projects, project_milestones"]
    assert messages(config["exchange_rates"]) == ["row 1: month 'März 2025' — write it as 2025-08"]


def test_a_mapping_row_wins_over_the_aliases_for_its_files_only(con, sources):
    header = ["Auftrag", "Datum", "Belegdatum", "Kunde", "Bereich", "Kanal", "Netto"]
    row = ["01.03.2025", "28.02.2025", "K1", "VT", "Webshop", "10,00"]
    write_delimited(sources / "erp_orders" / "export_a.csv", [header, ["A-1", *row]])
    write_delimited(sources / "erp_orders" / "other.csv", [header, ["A-2", *row]])
    p.column_map(sources, [["erp_orders", "EXPORT_*.csv", "order_date", "Datum", "", ""]])
    _, results = load(con, sources, "erp_orders")
    # `Datum` is no alias of order_date: the mapping (a case-insensitive glob) makes it one for
    # export_a.csv; other.csv reads the alias `Belegdatum`
    assert table(con, "erp_orders", "_file_name, order_date", order="1") == [
        ("export_a.csv", dt.date(2025, 3, 1)), ("other.csv", dt.date(2025, 2, 28))]
    assert results["erp_orders"].rejected_files == []


def test_two_columns_for_one_field_or_a_used_duplicate_header_reject_the_file(con, sources):
    write_delimited(sources / "erp_orders" / "a.csv", [
        ["Auftrag", "Auftragsdatum", "Belegdatum", "Kunde", "Bereich", "Kanal", "Netto"],
        ["A-1", "01.03.2025", "28.02.2025", "K1", "VT", "Webshop", "10,00"]])
    write_delimited(sources / "erp_orders" / "b.csv", [
        ["Auftrag", "Datum", "Datum", "Kunde", "Bereich", "Kanal", "Netto"],
        ["A-2", "01.03.2025", "28.02.2025", "K1", "VT", "Webshop", "10,00"]])
    p.column_map(sources, [["erp_orders", "b.csv", "order_date", "Datum", "", ""]])
    _, results = load(con, sources, "erp_orders")
    assert messages(results["erp_orders"]) == [
        "columns 'Auftragsdatum' (column 2) and 'Belegdatum' (column 3) could both be "
        "order_date — say which one in config/column_map.csv (erp_orders;;order_date;<header>;;)",
        "the header 'Datum' that config/column_map.csv row 1 maps to order_date is written "
        "twice: 'Datum' (column 2) and 'Datum' (column 3) — rename one in the export's settings "
        "or map by another header"]
    assert table(con, "erp_orders") == []


def test_constants_fill_what_the_export_lacks(con, sources):
    write_delimited(sources / "it_usage" / "teams.csv", [
        ["Personalnummer", "Datum"], ["E1", "03.03.2025"]])
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"], ["E1", "EK", "Einkauf", "01.01.20"]])
    p.column_map(sources, [["it_usage", "teams*", "tool", "", "Teams", ""]])
    load(con, sources, "hr_employees", "it_usage")
    assert table(con, "it_usage", "employee_id, tool, activity_date, events") == [
        ("E1", "Teams", dt.date(2025, 3, 3), 1)]


def test_a_missing_mapped_header_and_the_closest_headers_are_named(con, sources):
    write_delimited(sources / "crm_leads" / "leads.csv", [
        ["Lead", "Creation Date", "Bereich", "Quelle", "Status"],
        ["L1", "01.02.2025", "VT", "Messe", "offen"]])
    p.column_map(sources, [["crm_leads", "", "lead_id", "Lead Number", "", ""]])
    _, results = load(con, sources, "crm_leads")
    [message] = messages(results["crm_leads"])
    assert message.startswith("required column 'lead_id' missing — accepted headers: lead_id, "
                              "Lead-ID, Verkaufschance, Opportunity-ID, Lead ID; "
                              "config/column_map.csv row 1 maps it to 'Lead Number', which "
                              "this file does not have")
    assert ("required column 'created_date' missing — accepted headers: created_date, "
            "Erstellt am, Anlagedatum, Created, Created on — closest in the file: "
            "'Creation Date' (map one in config/column_map.csv: "
            "crm_leads;;created_date;Creation Date;;)") in message


def test_a_format_that_reads_none_of_the_column_rejects_the_file_naming_the_row(con, sources):
    write_delimited(sources / "erp_orders" / "us.csv", [
        [*ORDERS], ["A-1", "2025-03-01", "K1", "VT", "Web", "1"]])
    p.column_map(sources, [["erp_orders", "us.csv", "order_date", "order_date", "",
                            "%m/%d/%Y"]])
    _, results = load(con, sources, "erp_orders")
    assert messages(results["erp_orders"]) == [
        "the format '%m/%d/%Y' of config/column_map.csv row 1 reads none of the values of "
        "column 'order_date' (e.g. '2025-03-01') — fix the format"]


@pytest.mark.parametrize(("fmt", "cells", "expected"), [
    ("%m/%d/%Y %I:%M %p", ["3/4/2025 5:07 PM", "12/31/2025 11:00 AM"],
     [dt.datetime(2025, 3, 4, 17, 7), dt.datetime(2025, 12, 31, 11, 0)]),
    ("%d/%m/%y", ["3/4/25", "1/2/99"], [dt.datetime(2025, 4, 3), dt.datetime(2099, 2, 1)]),
    ("%Y-%m-%d %H:%M:%S %z", ["2025-03-04 23:30:00 -0500", "2025-03-05 01:00:00 +0100"],
     [dt.datetime(2025, 3, 4, 23, 30), dt.datetime(2025, 3, 5, 1, 0)]),   # as written
    ("%d. %B %Y", ["4. März 2025", "1. Mai 2025"], [dt.datetime(2025, 3, 4),
                                                    dt.datetime(2025, 5, 1)]),
    ("%d %b %Y", ["4 Oct 2025", "1 Dez 2025"], [dt.datetime(2025, 10, 4),
                                                dt.datetime(2025, 12, 1)]),
    ("%Y-%m-%dT%H:%M:%S.%f", ["2026-07-31T10:23:00.1234567"],
     [dt.datetime(2026, 7, 31, 10, 23, 0, 123456)]),
])
def test_mapped_date_formats(con, sources, fmt, cells, expected):
    write_delimited(sources / "crm_interactions" / "a.csv", [
        ["interaction_id", "occurred_at", "customer_id", "org_unit", "channel"],
        *[[f"I{i}", v, "K1", "VT", "Telefon"] for i, v in enumerate(cells)]])
    p.column_map(sources, [["crm_interactions", "", "occurred_at", "occurred_at", "", fmt]])
    _, results = load(con, sources, "crm_interactions")
    assert results["crm_interactions"].rejected_files == []
    assert quarantine(con, "crm_interactions") == []
    assert [r[0] for r in table(con, "crm_interactions", "occurred_at",
                                order="interaction_id")] == expected


def test_slashed_dates_are_read_in_the_order_their_column_shows(con, sources):
    header = ["interaction_id", "occurred_at", "customer_id", "org_unit", "channel"]
    write_delimited(sources / "crm_interactions" / "us.csv", [
        header, ["U1", "7/1/2024 22:05:36", "K1", "VT", "Telefon"],
        ["U2", "7/13/2024 9:00:00", "K1", "VT", "Telefon"]], delimiter=",")
    write_delimited(sources / "crm_interactions" / "uk.csv", [
        header, ["E1", "7/1/24", "K1", "VT", "Telefon"], ["E2", "13/7/24", "K1", "VT", "Telefon"]])
    write_delimited(sources / "crm_interactions" / "unsure.csv", [
        header, ["X1", "3/4/2025", "K1", "VT", "Telefon"], ["X2", "5/6/2025", "K1", "VT",
                                                              "Telefon"]])
    _, results = load(con, sources, "crm_interactions")
    assert table(con, "crm_interactions", "interaction_id, occurred_at", order="1") == [
        ("E1", dt.datetime(2024, 1, 7)), ("E2", dt.datetime(2024, 7, 13)),
        ("U1", dt.datetime(2024, 7, 1, 22, 5, 36)), ("U2", dt.datetime(2024, 7, 13, 9))]
    assert messages(results["crm_interactions"]) == [
        "column 'occurred_at' has dates that read day-first or month-first ('3/4/2025' and "
        "'5/6/2025'), and none that tells — give its format in config/column_map.csv "
        "(crm_interactions;<file pattern>;occurred_at;occurred_at;;%d/%m/%Y or %m/%d/%Y)"]
    # the format given, the file loads
    p.column_map(sources, [["crm_interactions", "unsure.csv", "occurred_at", "occurred_at", "",
                            "%m/%d/%Y"]])
    _, results = load(con, sources, "crm_interactions")
    assert results["crm_interactions"].rejected_files == []
    assert table(con, "crm_interactions", "occurred_at", order="1")[-1] == (
        dt.datetime(2025, 5, 6),)


@pytest.mark.parametrize(("text", "expected"), [
    ("9/9/26 18:01", dt.datetime(2026, 9, 9, 18, 1)),    # never the year 9
    ("1/2/25", None),                                     # alone: day or month first?
    ("13/2/25", dt.datetime(2025, 2, 13)), ("2/13/25", dt.datetime(2025, 2, 13)),
    ("12/Jun/26 5:07 PM", dt.datetime(2026, 6, 12, 17, 7)),
    ("Jun 12, 2026", dt.datetime(2026, 6, 12)), ("12-Jun-2026", dt.datetime(2026, 6, 12)),
    ("12. Juni 2026", dt.datetime(2026, 6, 12)),
    ("3. März 2025 14:00", dt.datetime(2025, 3, 3, 14)),
    ("2026-07-31T10:23:00.1234567", dt.datetime(2026, 7, 31, 10, 23, 0, 123456)),
    ("2024-07-01 10:00:00 +0200", dt.datetime(2024, 7, 1, 10)),
    ("7/1/2024, 10:05:36 PM", None), ("26-1-5", None), ("Jun 12, 26", None),
])
def test_the_english_forms_real_tools_write(text, expected):
    con = duckdb.connect()
    install_macros(con)
    assert con.execute("select lt_timestamp(?)", [text]).fetchall()[0][0] == expected


def test_a_short_date_never_gives_a_year_before_1900(con, sources):
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"],
        ["E1", "EK", "Einkauf", "1/2/25"], ["E2", "EK", "Einkauf", "9/9/26"],
        ["E3", "EK", "Einkauf", "5.6.7"]])
    _, results = load(con, sources, "hr_employees")
    # 9/9/26 reads either way; 1/2/25 could be January or February: the column has nothing
    # that tells, so the file waits for a format rather than guessing
    assert messages(results["hr_employees"]) == [
        "column 'entry_date' has dates that read day-first or month-first ('1/2/25'), and none "
        "that tells — give its format in config/column_map.csv (hr_employees;<file pattern>;"
        "entry_date;entry_date;;%d/%m/%Y or %m/%d/%Y)"]
    p.column_map(sources, [["hr_employees", "", "entry_date", "entry_date", "", "%d/%m/%y"]])
    load(con, sources, "hr_employees")
    assert table(con, "hr_employees", "employee_id, entry_date", order="1") == [
        ("E1", dt.date(2025, 2, 1)), ("E2", dt.date(2026, 9, 9))]
    assert quarantine(con, "hr_employees") == [
        ("hr.csv", 3, "entry_date", "unparsable date '5.6.7'")]


def test_status_words_and_org_units_mapped_and_unmapped(con, sources):
    write_delimited(sources / "erp_orders" / "a.csv", [
        [*ORDERS, "status"],
        ["A-1", "01.03.2025", "K1", "Sales Europe", "Web", "1", "Refunded"],
        ["A-2", "01.03.2025", "K1", "VT", "Web", "1", "on hold"]])
    p.value_map(sources, [["erp_orders", "status", " refunded ", "storniert"],
                          ["erp_orders", "org_unit", "Sales Europe", "VT-EX"]])
    load(con, sources, "erp_orders")
    assert table(con, "erp_orders", "order_id, org_unit_id, status") == [
        ("A-1", "VT-EX", "cancelled")]
    assert quarantine(con, "erp_orders") == [
        ("a.csv", 2, "status", "status 'on hold' not in open, delivered, invoiced, cancelled")]


def test_rates_convert_other_currencies_by_the_month_of_the_order(con, sources):
    write_delimited(sources / "erp_orders" / "a.csv", [
        [*ORDERS, "currency"],
        ["A-1", "31.03.2025", "K1", "VT", "Web", "100,00", "usd"],
        ["A-2", "01.04.2025", "K1", "VT", "Web", "100,00", "USD"],
        ["A-3", "01.05.2025", "K1", "VT", "Web", "100,00", "CHF"],
        ["A-4", "01.05.2025", "K1", "VT", "Web", "100,00", "€"]])
    p.exchange_rates(sources, [["USD", "2025-03", "0,92"], ["usd", "2025-04", "0,90"]])
    load(con, sources, "erp_orders")
    assert table(con, "erp_orders", "order_id, net_amount, currency", order="1") == [
        ("A-1", pytest.approx(92.0), "EUR"), ("A-2", pytest.approx(90.0), "EUR"),
        ("A-4", 100.0, "EUR")]
    assert quarantine(con, "erp_orders") == [
        ("a.csv", 3, "currency",
         "no exchange rate for CHF in 2025-05: add it to config/exchange_rates.csv")]


def test_a_changed_mapping_reads_the_files_again(con, sources, tmp_path):
    write_delimited(sources / "it_usage" / "teams.csv", [["Personalnummer", "Datum"],
                                                         ["E1", "03.03.2025"]])
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"], ["E1", "EK", "Einkauf", "01.01.20"]])
    p.column_map(sources, [["it_usage", "", "tool", "", "Teams", ""]])
    load(con, sources, "hr_employees", "it_usage")
    p.column_map(sources, [["it_usage", "", "tool", "", "Microsoft Teams", ""]])
    _, results = load(con, sources, "it_usage")
    assert results["it_usage"].files_read == 1
    assert table(con, "it_usage", "tool") == [("Microsoft Teams",)]
    _, results = load(con, sources, "it_usage")
    assert results["it_usage"].files_read == 0


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    yield connection
    connection.close()


@pytest.mark.parametrize(("text", "month"), [
    ("2025-08", "2025-08"), ("2025-8", "2025-08"), ("08/2025", "2025-08"),
    ("8.2025", "2025-08"), ("2025-08-01", "2025-08"),   # a month Excel made a date
    ("2025-13", None), ("März 2025", None), ("2025-08-02", None)])
def test_months_of_rates(text, month):
    from dagster_project.ingest.mapping import rate_month

    assert rate_month(text) == month


def test_a_slashed_date_that_cannot_tell_outside_a_slashed_column_is_quarantined(con, sources):
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"],
        *[[f"E{i}", "EK", "Einkauf", str(dt.date(2020, 1, 1) + dt.timedelta(days=i))]
          for i in range(300)],
        ["E-X", "EK", "Einkauf", "1/2/25"]])   # far below the lines the layout is read from
    _, results = load(con, sources, "hr_employees")
    assert results["hr_employees"].rejected_files == []
    assert quarantine(con, "hr_employees") == [
        ("hr.csv", 301, "entry_date", "unparsable date '1/2/25' (day or month first? give the "
         "column's format in config/column_map.csv, e.g. %d/%m/%Y)")]
