"""Real exports of real systems, unchanged, made to fit by `config/` alone.

For each producer (Shopify, Odoo, DATEV, Jira, LimeSurvey with code and with full-text
headings, Qualtrics, Google Forms, Microsoft 365): the file as the tool writes it
(producers.py), the `column_map.csv` / `value_map.csv` rows an analyst writes from
docs/sources.md, and then — the file loads, every row is accounted for (stored,
quarantined with its reasons, skipped or folded into its record), the values are right,
and no e-mail address is anywhere in the data dir.
"""

from __future__ import annotations

import datetime as dt
import stat

import duckdb
import pytest

from dagster_project.ingest.loader import load_config, load_source

from . import producers as p
from .conftest import quarantine, table


def load(data_dir, sources, *names):
    """Load the config and `names` into a build database in `data_dir`; the results."""
    data_dir.mkdir(exist_ok=True)
    con = duckdb.connect(str(data_dir / "build.duckdb"))
    config = {r.source: r for r in load_config(con, sources, "load-1")}
    results = {n: load_source(con, n, sources, "load-1") for n in names}
    return con, config, results


def accounted(result) -> int:
    """Rows of a source's files accounted for: stored, quarantined (rows, not problems),
    skipped (counted), folded into the record above them, collapsed as exact copies."""
    return (result.rows_loaded + result.rows_quarantined + result.rows_skipped
            + result.rows_folded + result.duplicates_collapsed)


def assert_no_address_in(data_dir, con, addresses):
    con.execute("checkpoint")
    con.close()
    assert p.files_holding(data_dir, addresses) == {}
    assert p.values_holding(data_dir / "build.duckdb", addresses) == {}
    key = data_dir / "pseudonym.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_shopify_orders_export(tmp_path, sources):
    p.write_shopify(sources)
    p.column_map(sources, p.SHOPIFY_MAP)
    p.value_map(sources, p.SHOPIFY_VALUES)
    p.settings_file(sources, [["line_items.erp_orders", "sum"]])
    p.exchange_rates(sources, [["USD", "2026-06", "0,92"]])
    con, config, results = load(tmp_path / "data", sources, "erp_orders")
    result = results["erp_orders"]
    assert result.rejected_files == [] and all(not r.rejected_files for r in config.values())
    erika = p.pseudonym_of(tmp_path / "data", "erika.muster@example.org")
    max_ = p.pseudonym_of(tmp_path / "data", "max.power@example.org")
    assert table(con, "erp_orders", "order_id, order_date, customer_id, org_unit_id, channel, "
                 "net_amount, currency, status", order="order_id") == [
        ("#1001", dt.date(2026, 6, 12), erika, "VT-IN", "Webshop", 59.9, "EUR", "invoiced"),
        ("#1002", dt.date(2026, 6, 13), max_, "VT-IN", "Webshop", 92.0, "EUR", "open"),
        ("#1003", dt.date(2026, 6, 20), erika, "VT-IN", "Webshop", 12.5, "EUR", "cancelled")]
    assert quarantine(con, "erp_orders") == [
        ("orders_export_1.csv", 5, "currency",
         "no exchange rate for USD in 2026-07: add it to config/exchange_rates.csv"),
        ("orders_export_1.csv", 6, "currency",
         "lines of one record disagree on currency: 'EUR' / 'USD'"),
        ("orders_export_1.csv", 7, "currency",
         "lines of one record disagree on currency: 'EUR' / 'USD'")]
    # 7 lines: 3 orders stored (#1001 of two lines), #1004 quarantined, #1005's two lines
    assert (result.rows_total, result.rows_folded) == (7, 1)
    assert accounted(result) == 7
    assert {h for _, h in result.dropped_columns} >= {"Email", "Billing Name", "Billing Phone",
                                                      "Shipping Name"} - {"Email"}
    assert_no_address_in(tmp_path / "data", con, ["erika.muster@example.org",
                                                  "Max.Power@Example.org",
                                                  "max.power@example.org", "Mustermann"])


def test_odoo_sale_orders_continue_the_record_above(tmp_path, sources):
    p.write_odoo_orders(sources)
    p.column_map(sources, p.ODOO_ORDER_MAP)
    p.value_map(sources, p.ODOO_ORDER_VALUES)
    p.settings_file(sources, [["line_items.erp_orders", "sum"]])
    con, _, results = load(tmp_path / "data", sources, "erp_orders")
    assert results["erp_orders"].rejected_files == []
    assert table(con, "erp_orders", "order_id, order_date, customer_id, org_unit_id, channel, "
                 "net_amount, status", order="order_id") == [
        ("S00041", dt.date(2026, 5, 4), "Müller Antriebe GmbH", "VT-EX", "Außendienst",
         1250.0, "open"),
        ("S00042", dt.date(2026, 5, 6), "Schulz & Söhne KG", "VT-IN", "Außendienst", 99.5,
         "open"),
        ("S00043", dt.date(2026, 5, 7), "Müller Antriebe GmbH", "VT-EX", "Außendienst",
         400.0, "cancelled")]
    assert quarantine(con, "erp_orders") == []
    assert (results["erp_orders"].rows_total, results["erp_orders"].rows_folded) == (5, 2)
    assert accounted(results["erp_orders"]) == 5


def test_odoo_leads_and_employees(tmp_path, sources):
    p.write_odoo_leads(sources)
    p.write_odoo_employees(sources)
    p.column_map(sources, p.ODOO_LEAD_MAP + p.ODOO_EMPLOYEE_MAP)
    p.value_map(sources, p.ODOO_LEAD_VALUES)
    con, config, results = load(tmp_path / "data", sources, "hr_employees", "crm_leads")
    assert all(not r.rejected_files for r in [*config.values(), *results.values()])
    assert table(con, "crm_leads", "lead_id, created_date, org_unit_id, source_channel, "
                 "status, closed_date, expected_value", order="lead_id") == [
        ("__export__.crm_lead_12_0c5f9a1e", dt.date(2026, 4, 2), "VT-EX", "Website", "won",
         dt.date(2026, 5, 2), 12000.0),
        ("__export__.crm_lead_13_7d21be40", dt.date(2026, 4, 15), "VT-IN", "Messe", "open",
         None, 3500.5),
        ("__export__.crm_lead_14_9a0e3c11", dt.date(2026, 4, 20), "VT-IN", "Website", "open",
         None, None)]
    data = tmp_path / "data"
    assert table(con, "hr_employees", "employee_id, org_unit_id, role, entry_date",
                 order="entry_date") == [
        (p.pseudonym_of(data, "ben.kurz@firma.example"), "EK", "Einkäufer",
         dt.date(2019, 10, 15)),
        (p.pseudonym_of(data, "anna.berg@firma.example"), "VT-IN", "Vertriebsmitarbeiterin",
         dt.date(2021, 3, 1)),
        (p.pseudonym_of(data, "cem.aydin@firma.example"), "PR-W2", "Meister",
         dt.date(2024, 1, 8))]
    assert sorted(h for _, h in results["hr_employees"].dropped_columns) == [
        "Employee Name", "Manager", "Work Phone"]   # and the Work Email: stored as pseudonym
    assert_no_address_in(data, con, ["anna.berg@firma.example", "Anna.Berg@firma.example",
                                     "einkauf@mueller-antriebe.example", "Anna Berg",
                                     "+49 521 998877"])


def test_datev_buchungsstapel(tmp_path, sources):
    p.write_datev(sources)
    p.column_map(sources, p.DATEV_MAP)
    con, config, results = load(tmp_path / "data", sources, "erp_orders")
    assert results["erp_orders"].rejected_files == []
    assert table(con, "erp_orders", "order_id, order_date, customer_id, org_unit_id, "
                 "net_amount, currency", order="order_id") == [
        ("RE-2026-0001", dt.date(2026, 1, 5), "10001", "VT-IN", 1190.0, "EUR"),
        ("RE-2026-0002", dt.date(2026, 1, 17), "10002", "VT-EX", 238.0, "EUR"),
        ("RE-2026-0003", dt.date(2026, 1, 31), "10001", "VT-IN", 59.5, "EUR")]


def test_jira_issue_export(tmp_path, sources):
    p.write_jira(sources)
    p.write_projects(sources)
    p.column_map(sources, p.JIRA_MAP)
    con, _, results = load(tmp_path / "data", sources, "projects", "project_milestones")
    assert results["project_milestones"].rejected_files == []
    assert table(con, "project_milestones", "project_id, milestone_id, milestone_name, "
                 "planned_date, actual_date", order="milestone_id") == [
        ("DIGI", "DIGI-12", "Go-live Webshop", dt.date(2026, 5, 31), dt.date(2026, 6, 12)),
        ("DIGI", "DIGI-13", "Schnittstelle ERP", dt.date(2026, 9, 30), None)]
    assert_no_address_in(tmp_path / "data", con, ["jana.berg@firma.example",
                                                  "tom.roth@firma.example"])


def test_limesurvey_code_headings_array_questions_and_anonymised_dates(tmp_path, sources):
    p.write_catalog(sources, p.LIME_CATALOG)
    p.write_lime_codes(sources)
    p.column_map(sources, p.LIME_CODE_MAP)
    p.value_map(sources, p.LIME_CODE_VALUES)
    con, config, results = load(tmp_path / "data", sources, "survey_responses")
    result = results["survey_responses"]
    assert result.rejected_files == [] and all(not r.rejected_files for r in config.values())
    answers = table(con, "survey_responses", "response_id, submitted_at, org_unit_id, "
                    "question_id, answer", order="response_id, question_id")
    when = dt.datetime(2026, 6, 30)
    assert answers == [
        ("1", when, "VT-IN", "Q10", 9.0), ("1", when, "VT-IN", "Q12", 2.0),
        ("1", when, "VT-IN", "q1[vis1]", 4.0), ("1", when, "VT-IN", "q1[vis2]", 5.0),
        ("1", when, "VT-IN", "q1[vis3]", 3.0),
        ("2", when, "PR-W2", "Q10", 6.0), ("2", when, "PR-W2", "Q12", 5.0),
        ("2", when, "PR-W2", "q1[vis1]", 2.0), ("2", when, "PR-W2", "q1[vis3]", 1.0),
        ("4", when, "EK", "Q10", 10.0), ("4", when, "EK", "Q12", 4.0),
        ("4", when, "EK", "q1[vis2]", 4.0), ("4", when, "EK", "q1[vis3]", 4.0)]
    # A6 is no answer option of the scale: that answer only, named
    assert quarantine(con, "survey_responses") == [
        ("results-survey845123-codes.csv", 4, "q1[vis1]",
         "answer 'A6' is a word, not a number: map it in config/value_map.csv "
         "(survey_responses;answer;A6;<number>)")]
    assert result.rows_total == 4   # response 3 is incomplete: skipped
    assert con.execute("select rows_skipped from meta.loaded_files "
                       "where source = 'survey_responses'").fetchall() == [(1,)]


def test_limesurvey_full_text_headings_and_answer_labels(tmp_path, sources):
    p.write_catalog(sources, p.LIME_CATALOG)
    p.write_lime_text(sources)
    p.column_map(sources, p.LIME_TEXT_MAP)
    p.value_map(sources, p.LIME_TEXT_VALUES)
    con, _, results = load(tmp_path / "data", sources, "survey_responses")
    assert results["survey_responses"].rejected_files == []
    assert results["survey_responses"].dropped_columns == []  # the E-Mail question is data
    assert table(con, "survey_responses", "response_id, submitted_at, org_unit_id, "
                 "question_id, answer", order="response_id, question_id") == [
        ("11", dt.datetime(2026, 7, 2, 8, 15, 9), "VT-IN", "Q10", 9.0),
        ("11", dt.datetime(2026, 7, 2, 8, 15, 9), "VT-IN", "Q12", 2.0),
        ("11", dt.datetime(2026, 7, 2, 8, 15, 9), "VT-IN", "q1[vis1]", 5.0),
        ("11", dt.datetime(2026, 7, 2, 8, 15, 9), "VT-IN", "q1[vis2]", 4.0),
        ("11", dt.datetime(2026, 7, 2, 8, 15, 9), "VT-IN", "q1[vis3]", 3.0),
        ("12", dt.datetime(2026, 7, 3, 17, 40, 55), "EK", "Q10", 4.0),
        ("12", dt.datetime(2026, 7, 3, 17, 40, 55), "EK", "Q12", 5.0),
        ("12", dt.datetime(2026, 7, 3, 17, 40, 55), "EK", "q1[vis1]", 1.0)]
    assert [r[2:] for r in quarantine(con, "survey_responses")] == [
        ("q1[vis3]", "answer 'Weiß nicht' is a word, not a number: map it in "
         "config/value_map.csv (survey_responses;answer;Weiß nicht;<number>)")]


@pytest.mark.parametrize("workbook", [False, True])
def test_qualtrics_extra_header_rows(tmp_path, sources, workbook):
    p.write_catalog(sources, p.QUALTRICS_CATALOG)
    p.write_qualtrics(sources, workbook=workbook)
    p.column_map(sources, p.QUALTRICS_MAP)
    con, _, results = load(tmp_path / "data", sources, "survey_responses")
    result = results["survey_responses"]
    assert result.rejected_files == []
    assert result.rows_total == 2   # the question texts and import ids are no responses
    assert quarantine(con, "survey_responses") == []
    assert table(con, "survey_responses", "response_id, submitted_at, org_unit_id, "
                 "question_id, answer, _row_number", order="response_id, question_id") == [
        ("R_1dmIgfXQ2ZbN6cx", dt.datetime(2026, 7, 1, 9, 4, 31), "VT-IN", "Q1_1", 4.0, 1),
        ("R_1dmIgfXQ2ZbN6cx", dt.datetime(2026, 7, 1, 9, 4, 31), "VT-IN", "Q1_2", 2.0, 1),
        ("R_1dmIgfXQ2ZbN6cx", dt.datetime(2026, 7, 1, 9, 4, 31), "VT-IN", "Q2", 8.0, 1),
        ("R_3kPq8Zt9Ws1Lm2n", dt.datetime(2026, 7, 1, 10, 2, 1), "EK", "Q1_1", 5.0, 2),
        ("R_3kPq8Zt9Ws1Lm2n", dt.datetime(2026, 7, 1, 10, 2, 1), "EK", "Q2", 10.0, 2)]
    assert sorted(h for _, h in result.dropped_columns) == [
        "IPAddress", "RecipientEmail", "RecipientFirstName", "RecipientLastName"]
    assert_no_address_in(tmp_path / "data", con, ["anna.berg@firma.example", "203.0.113.7"])


def test_google_forms_responses_get_keyed_ids(tmp_path, sources):
    p.write_catalog(sources, [
        ["Q01", "strategy", "Strategie", "1", "5", "nein"],
        ["Q02", "processes", "Papierlos", "1", "5", "nein"],
        ["Q10", "enps", "Weiterempfehlung", "0", "10", "nein"]])
    p.write_forms(sources, p.forms_rows(), name="forms_2026-07-14 Form Responses 1.csv")
    p.column_map(sources, p.FORMS_MAP)
    con, _, results = load(tmp_path / "data", sources, "survey_responses")
    assert results["survey_responses"].rejected_files == []
    first = table(con, "survey_responses", "response_id, submitted_at, org_unit_id, "
                  "question_id, answer", order="submitted_at, response_id, question_id")
    ids = sorted({r[0] for r in first})
    assert len(ids) == 4   # the two alike in the same second stay two
    responses = sorted({(r[1], r[2], tuple((q, a) for i, _, _, q, a in first if i == r[0]))
                        for r in first})
    late = dt.datetime(2026, 7, 13, 9, 0)   # `7/13/2026`: month first, for the whole column
    assert responses == [
        (dt.datetime(2026, 7, 1, 22, 5, 36), "EK", (("Q01", 2.0), ("Q02", 2.0), ("Q10", 7.0))),
        (dt.datetime(2026, 7, 1, 22, 5, 36), "VT-IN",
         (("Q01", 4.0), ("Q02", 3.0), ("Q10", 9.0))),
        (late, "EK", (("Q01", 3.0), ("Q02", 3.0), ("Q10", 8.0)))]
    assert sum(1 for r in first if r[1] == late and r[3] == "Q10") == 2
    # a later export of the same form holds the same responses and a new one: the same ids
    p.write_forms(sources, [*p.forms_rows(), ["7/14/2026 8:00:00", "", "Vertrieb Inland",
                                              "5", "4", "10"]],
                  name="forms_2026-07-15 Form Responses 1.csv")
    load_source(con, "survey_responses", sources, "load-2")
    again = table(con, "survey_responses", "response_id", order="1")
    assert len({r[0] for r in again}) == 5 and set(ids) < {r[0] for r in again}
    assert_no_address_in(tmp_path / "data", con, ["anna.berg@firma.example",
                                                  "ben.kurz@firma.example"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_teams_user_activity_joins_hr_by_pseudonym(tmp_path, sources, encoding):
    p.write_odoo_employees(sources)
    p.write_teams(sources, encoding)
    p.column_map(sources, p.ODOO_EMPLOYEE_MAP + p.TEAMS_MAP)
    con, _, results = load(tmp_path / "data", sources, "hr_employees", "it_usage")
    usage = results["it_usage"]
    assert usage.rejected_files == []
    data = tmp_path / "data"
    assert table(con, "it_usage", "employee_id, tool, activity_date, events",
                 order="activity_date") == [
        (p.pseudonym_of(data, "ben.kurz@firma.example"), "Teams", dt.date(2026, 7, 1), 3),
        (p.pseudonym_of(data, "anna.berg@firma.example"), "Teams", dt.date(2026, 7, 3), 12)]
    # the inactive user is skipped and counted, not quarantined
    assert quarantine(con, "it_usage") == []
    assert (usage.rows_total, usage.rows_loaded) == (3, 2)
    assert con.execute("select rows_skipped from meta.loaded_files where source = 'it_usage'"
                       ).fetchall() == [(1,)]
    assert accounted(usage) == 3
    assert_no_address_in(data, con, ["anna.berg@firma.example", "BEN.KURZ@firma.example",
                                     "cem.aydin@firma.example"])


@pytest.mark.slow
def test_every_producer_at_once_publishes_and_no_address_is_in_the_data_dir(tmp_path, sources):
    """All exports in one sources folder with one mapping, through a real run: it publishes,
    and no e-mail address, name or IP address is in any file of the data dir (build and
    published database, run reports, dbt's logs)."""
    from tests.conftest import run_pipeline_in

    p.write_catalog(sources, p.LIME_CATALOG + p.QUALTRICS_CATALOG + [
        ["Q01", "strategy", "Strategie", "1", "5", "nein"],
        ["Q02", "processes", "Papierlos", "1", "5", "nein"]])
    for write in (p.write_shopify, p.write_odoo_orders, p.write_datev, p.write_odoo_leads,
                  p.write_odoo_employees, p.write_jira, p.write_projects, p.write_lime_codes,
                  p.write_lime_text, p.write_qualtrics, p.write_teams):
        write(sources)
    p.write_forms(sources, p.forms_rows())
    p.column_map(sources, p.SHOPIFY_MAP + p.ODOO_ORDER_MAP + p.DATEV_MAP + p.ODOO_LEAD_MAP
                 + p.ODOO_EMPLOYEE_MAP + p.JIRA_MAP + p.LIME_CODE_MAP + p.LIME_TEXT_MAP
                 + p.QUALTRICS_MAP + p.FORMS_MAP + p.TEAMS_MAP)
    p.value_map(sources, p.SHOPIFY_VALUES + p.ODOO_ORDER_VALUES + p.ODOO_LEAD_VALUES
                + p.LIME_CODE_VALUES + p.LIME_TEXT_VALUES)
    p.settings_file(sources, [["line_items.erp_orders", "sum"], ["min_group_size", "3"],
                              ["max_quarantine_share", "20 %"]])
    p.exchange_rates(sources, [["USD", "2026-06", "0,92"], ["USD", "2026-07", "0,93"]])
    p.write_map(sources, "channels.csv", ["source", "raw_value", "channel", "is_digital"],
                [["crm_leads", "Website", "Website", "ja"]])
    data = tmp_path / "data"
    outcome = run_pipeline_in(sources, data)
    assert outcome.published, outcome.report()
    with duckdb.connect(str(data / "leitstand.duckdb"), read_only=True) as con:
        orders = con.execute("select numerator, denominator from marts.kpi_monthly "
                             "where kpi_id = 'digital_order_share' and org_unit_id = 'VT-IN' "
                             "and month = '2026-06-01'").fetchall()
    # June, Vertrieb Inland: the shop's #1001 (invoiced) and #1002 (open) are digital orders
    assert orders == [(2, 2)]
    secrets = ["erika.muster@example.org", "Max.Power@Example.org", "max.power@example.org",
               "anna.berg@firma.example", "Anna.Berg@firma.example", "ben.kurz@firma.example",
               "BEN.KURZ@firma.example", "cem.aydin@firma.example", "jana.berg@firma.example",
               "tom.roth@firma.example", "einkauf@mueller-antriebe.example",
               "info@schulz.example", "Mustermann", "203.0.113.7"]
    assert p.files_holding(data, secrets) == {}
    for database in ("build.duckdb", "leitstand.duckdb"):
        assert p.values_holding(data / database, secrets) == {}
