"""Contracts as data: header matching by alias, personal identifiers, the README table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.ingest.contracts import (
    all_contracts,
    contract,
    contracts_markdown,
    is_personal_identifier,
    match_headers,
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


def test_canonical_name_beats_an_alias_and_order_is_free():
    c = contract("crm_interactions")
    # `Datum` is an alias of occurred_at; the canonical column wins wherever it stands.
    match = match_headers(c, ["Kanal", "Datum", "occurred_at", "interaction_id"])
    assert match.columns["occurred_at"] == 2
    assert match.columns["channel"] == 0


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
            "Bestelldatum, Order Date |") in md


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
