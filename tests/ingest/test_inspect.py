"""`leitstand inspect FILE`: what the ingest will make of one export, in German, without a
run — and the mapping rows it proposes make the export fit."""

from __future__ import annotations

from dagster_project.cli.inspect import file_pattern, inspect_export
from dagster_project.cli.main import main

from . import producers as p
from .conftest import write_delimited


def section(text: str, title: str) -> str:
    """The lines of one section of the report."""
    return text.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0]


def test_a_shop_export_without_mapping_says_what_is_missing_and_what_to_write(sources, capsys):
    path = p.write_shopify(sources)
    text, status = inspect_export(path, sources)
    assert status == 0
    assert "Quelle:         erp_orders (aus dem Ordner)" in text
    assert "Kodierung:      utf-8" in text and "Trennzeichen:   Komma (,)" in text
    columns = section(text, "Spalten\n-------")
    assert "Billing Name" in columns
    assert "nicht gespeichert: sieht nach Personendaten aus" in columns
    assert "Created at" in columns and "→ order_date (Alias)" in columns
    # no value of an identifier column is shown, not even a sample
    assert "@" not in text and "Mustermann" not in text and "+49" not in text
    missing = section(text, "Fehlende Pflichtfelder\n----------------------")
    for name in ("order_id", "customer_id", "org_unit", "channel", "net_amount"):
        assert f"  {name} — akzeptiert:" in missing
    rows = section(text, "Zeilen für config/column_map.csv zum Start\n"
                         "------------------------------------------")
    assert "source;file_pattern;field;header;constant;format" in rows
    assert "erp_orders;orders_export*.csv;channel;;<Wert für jede Zeile>;" in rows


def test_with_the_mapping_it_shows_what_the_run_would_load(sources):
    path = p.write_shopify(sources)
    p.column_map(sources, p.SHOPIFY_MAP)
    p.value_map(sources, p.SHOPIFY_VALUES)
    p.settings_file(sources, [["line_items.erp_orders", "sum"]])
    p.exchange_rates(sources, [["USD", "2026-06", "0,92"]])
    text, status = inspect_export(path, sources)
    assert status == 0
    columns = section(text, "Spalten\n-------")
    assert "→ customer_id (Zuordnung (config/column_map.csv Zeile 2)) — nur als Pseudonym" \
        in columns
    assert "→ net_amount (Zuordnung (config/column_map.csv Zeile 3)) — Zahl: Dezimalpunkt " \
        "(Zuordnung)" in columns
    assert "(Konstante)    channel = 'Webshop'" in columns
    outcome = section(text, "Was der Import daraus macht\n---------------------------")
    assert ("7 Datenzeilen: 3 Datensätze würden geladen, 3 Zeilen kämen in Quarantäne, "
            "1 Positionszeilen in ihren Datensatz gefaltet") in outcome
    assert "no exchange rate for USD in 2026-07" in outcome
    assert "In Kraft für diese Datei:" in text and "Fehlende Pflichtfelder" not in text
    assert "@" not in text


def test_an_ambiguous_date_column_gets_a_format_row(sources):
    path = write_delimited(sources / "crm_interactions" / "calls 2025-03.csv", [
        ["interaction_id", "occurred_at", "customer_id", "org_unit", "channel"],
        ["X1", "3/4/2025", "K1", "VT", "Telefon"], ["X2", "5/6/2025", "K1", "VT", "Telefon"]])
    text, status = inspect_export(path, sources)
    assert status == 0
    assert ("occurred_at: mehrdeutig: '3/4/2025' und '5/6/2025' lassen sich als Tag/Monat und "
            "als Monat/Tag lesen") in text
    assert "crm_interactions;calls*.csv;occurred_at;occurred_at;;%d/%m/%Y" in text


def test_a_survey_export_gets_a_row_per_question_column(sources):
    p.write_catalog(sources, [["Q01", "strategy", "x", "1", "5", "nein"]])
    path = p.write_forms(sources, p.forms_rows())
    text, _ = inspect_export(path, sources)
    assert "keine Antwort-ID" in text
    assert ("survey_responses;Mitarbeiterbefragung (Responses) - Form Responses*.csv;"
            "<question_id>;Wir haben eine digitale Strategie;;") in text
    assert "Fragen im Katalog (config/survey_questions.csv): Q01" in text
    assert "Email Address" in text and "@" not in text


def test_the_source_is_guessed_from_the_headers_outside_a_source_folder(sources, tmp_path):
    written = p.write_teams(tmp_path)
    path = written.rename(tmp_path / "Downloads.csv")
    text, status = inspect_export(path, sources)
    assert status == 0
    assert "Quelle:         it_usage (geraten aus den Spaltenköpfen — mit --source festlegen)" \
        in text
    text, _ = inspect_export(path, sources, "it_usage")
    assert "Quelle:         it_usage (angegeben)" in text


def test_an_unreadable_file_exits_2_and_the_command_is_wired(sources, tmp_path, capsys):
    bad = tmp_path / "binary.csv"
    bad.write_bytes(b"\x7fELF\x02\x01\x00\x00;\x00")
    assert main(["inspect", str(bad), "--source", "erp_orders", "--sources", str(sources)]) == 2
    assert "binary.csv ist nicht lesbar: binary content" in capsys.readouterr().err
    good = p.write_teams(sources)
    assert main(["inspect", str(good), "--sources", str(sources)]) == 0
    assert "User Principal Name" in capsys.readouterr().out


def test_file_patterns_take_the_name_up_to_its_first_digit():
    assert file_pattern("orders_export_1.csv") == "orders_export*.csv"
    assert file_pattern("TeamsUserActivityUserDetail7_5_2026 10_15_00 AM.csv") == \
        "TeamsUserActivityUserDetail*.csv"
    assert file_pattern("EXTF_Buchungsstapel_2026-01.CSV") == "EXTF_Buchungsstapel*.csv"
    assert file_pattern("2026-07-01.csv") == "2026-07-01*.csv"
