"""Contracts as data: header matching by alias, personal identifiers, the README table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.ingest.contracts import (
    FileMapping,
    MapRow,
    all_contracts,
    contract,
    contracts_markdown,
    is_personal_identifier,
    match_headers,
    question_id_of,
)
from dagster_project.ingest.loader import CONFIG_TABLES, SOURCE_DEPENDENCIES, SOURCES

ALL_ALIASES = sorted(
    {(c.name, f.name, h) for c in all_contracts().values() for f in c.fields for h in f.headers}
)


@st.composite
def respelled(draw, header: str) -> str:
    """The header as another tool might spell it: case, umlauts, separators, spaces."""
    text = header
    if draw(st.booleans()):
        for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"),
                     ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
            text = text.replace(a, b)
    sep = draw(st.sampled_from([None, " ", "_", "-"]))
    if sep:
        for s in (" ", "_", "-"):
            text = text.replace(s, sep)
    case = draw(st.sampled_from(["same", "upper", "lower", "title"]))
    text = {"same": text, "upper": text.upper(), "lower": text.lower(),
            "title": text.title()}[case]
    pad = draw(st.sampled_from(["", " ", "  ", "\t"]))
    return pad + text + pad


@settings(max_examples=400, deadline=None)
@given(data=st.data(), entry=st.sampled_from(ALL_ALIASES))
def test_every_alias_matches_however_it_is_spelled(data, entry):
    source, field, header = entry
    written = data.draw(respelled(header))
    match = match_headers(contract(source), [written])
    assert match.columns.get(field) == 0, (source, field, written)


def test_bom_never_reaches_a_column_name():
    match = match_headers(contract("erp_orders"), ["\ufeffAuftragsnummer", "Belegdatum"])
    assert match.columns == {"order_id": 0, "order_date": 1}


def test_order_is_free_and_two_columns_for_one_field_are_a_conflict():
    c = contract("crm_interactions")
    match = match_headers(c, ["Kanal", "occurred_at", "interaction_id"])
    assert match.columns == {"channel": 0, "occurred_at": 1, "interaction_id": 2}
    assert match.conflicts == []
    # `Datum` is an alias of occurred_at too: which column is meant, a mapping says
    match = match_headers(c, ["Kanal", "Datum", "occurred_at", "interaction_id"])
    assert "occurred_at" not in match.columns
    assert match.conflicts == [
        "columns 'Datum' (column 2) and 'occurred_at' (column 3) could both be occurred_at — "
        "say which one in config/column_map.csv (crm_interactions;;occurred_at;<header>;;)"]
    mapped = FileMapping((MapRow(1, "crm_interactions", "", "occurred_at", "Datum"),))
    match = match_headers(c, ["Kanal", "Datum", "occurred_at", "interaction_id"], mapped)
    assert match.columns["occurred_at"] == 1 and match.conflicts == []
    assert match.via["occurred_at"] == "mapping (config/column_map.csv row 1)"


def test_duplicate_headers_are_fine_unless_a_field_uses_them():
    c = contract("project_milestones")
    headers = ["Summary", "Issue key", "Labels", "Labels", "Project key", "Due date"]
    match = match_headers(c, headers)
    assert match.conflicts == []
    assert match.columns == {"project_id": 4, "milestone_id": 1, "planned_date": 5}
    match = match_headers(c, [*headers, "Due Date"])
    assert "Due date" in match.conflicts[0] and "column 7" in match.conflicts[0]


def test_a_claimed_column_is_never_dropped_whatever_its_header_says():
    c = contract("hr_employees")
    headers = ["Employee ID", "Department/Department Name", "Job Position", "Start Date",
               "Work Email", "Employee Name"]
    match = match_headers(c, headers)
    assert [h for _, h in match.personal] == ["Department/Department Name", "Work Email",
                                              "Employee Name"]
    mapped = FileMapping((MapRow(2, "hr_employees", "", "org_unit",
                                 "Department/Department Name"),
                          MapRow(3, "hr_employees", "", "entry_date", "Start Date")))
    match = match_headers(c, headers, mapped)
    assert match.columns == {"org_unit": 1, "entry_date": 3, "employee_id": 0, "role": 2}
    assert [h for _, h in match.personal] == ["Work Email", "Employee Name"]
    assert match.missing == []


@pytest.mark.parametrize(("header", "expected"), [
    ("Q1", "Q1"), ("q1", "Q1"), ("Q10 [Wie wahrscheinlich …]", "Q10"), ("Q10", "Q10"),
    ("q1[vis1]", "q1[vis1]"), ("q1[vis2] [Vision: Kunden]", "q1[vis2]"),
    ("q1[vis9]", "Q1"), ("Q12 [Ich erhalte Infos per E-Mail]", "Q12"), ("Q2_1", None),
    ("Q01", None), ("Q100", None), ("Q1. Wir haben eine Strategie", "Q1"),
])
def test_a_header_answers_the_longest_question_id_it_starts_with(header, expected):
    catalog = {q.casefold(): q for q in ("Q1", "Q10", "Q12", "q1[vis1]", "q1[vis2]", "Q2")}
    assert question_id_of(header, catalog) == expected


@pytest.mark.parametrize("header", ["Name", "Vorname", "Nachname", "E-Mail", "Email",
                                    "Telefon", "Phone", "Mitarbeitername", "E-Mail-Adresse",
                                    "Telefonnummer", "firstname", "lastname", "ipaddr",
                                    "Full Name", "Mobil"])
def test_personal_identifier_headers(header):
    assert is_personal_identifier(header)


@pytest.mark.parametrize("header", ["Bemerkung", "Lieferart", "Q07", "lastpage", "Werk"])
def test_other_headers_are_not_identifiers(header):
    assert not is_personal_identifier(header)


def test_identifier_columns_are_reported_not_matched():
    match = match_headers(contract("hr_employees"),
                          ["Personalnummer", "Name", "Vorname", "E-Mail", "Abteilung", "Rolle",
                           "Eintritt", "Bemerkung"])
    assert [h for _, h in match.personal] == ["Name", "Vorname", "E-Mail"]
    assert [h for _, h in match.ignored] == ["Bemerkung"]
    assert match.missing == []
    assert match.language == "de"


def test_missing_required_fields_are_listed():
    match = match_headers(contract("erp_orders"), ["Auftragsnummer", "Kunde"])
    assert [f.name for f in match.missing] == ["order_date", "org_unit", "channel", "net_amount"]


def test_every_source_and_config_table_has_a_contract():
    assert len(SOURCES) == 10
    assert set(SOURCES) | set(CONFIG_TABLES) == set(all_contracts())
    assert CONFIG_TABLES[0] == "org_units"
    for source, deps in SOURCE_DEPENDENCIES.items():
        for dep in deps:
            assert SOURCES.index(dep) < SOURCES.index(source)
    assert SOURCE_DEPENDENCIES["it_usage"] == ["hr_employees"]
    assert SOURCE_DEPENDENCIES["project_milestones"] == ["projects"]


def test_markdown_table_lists_every_field_and_alias():
    md = contracts_markdown()
    for c in all_contracts().values():
        for f in c.fields:
            assert f"`{f.name}`" in md
            for h in f.headers:
                assert h.replace("|", "\\|") in md
    assert ("| `order_date` | date | yes | order_date, Auftragsdatum, Belegdatum, "
            "Bestelldatum, Order Date, Order Date (UTC), Created at |") in md


def test_docs_table_of_accepted_columns_is_current():
    """docs/sources.md holds the current generated table of accepted columns between the markers.

    Regenerate with `python -m dagster_project.ingest.contracts` and paste it between
    `<!-- accepted-columns:start -->` and `<!-- accepted-columns:end -->`.
    """
    from dagster_project.core.settings import REPO_ROOT

    doc = (REPO_ROOT / "docs" / "sources.md")
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    start, end = "<!-- accepted-columns:start -->", "<!-- accepted-columns:end -->"
    assert start in text and end in text, "docs/sources.md lacks the accepted-columns markers"
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table.strip() == contracts_markdown().strip()
