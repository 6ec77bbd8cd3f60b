"""Export files written the way real systems write them, and the config a careful analyst
writes to map them (docs/sources.md, "Ihre Exporte anbinden").

The layouts follow the tools' own exports as documented and as they arrive in practice:
header names, column order, date and number formats, encodings, extra header lines,
line items and continuation rows. The values are made up here.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hmac
import io
from pathlib import Path

from .conftest import write_delimited, write_xlsx

# --- config -------------------------------------------------------------------------------


def write_map(sources: Path, name: str, header: list[str], rows: list[list[str]],
              delimiter: str = ";") -> Path:
    """A config file as an analyst saves it from Excel (`;`, Windows-1252)."""
    return write_delimited(sources / "config" / name, [header, *rows], delimiter=delimiter)


def column_map(sources: Path, rows: list[list[str]]) -> Path:
    return write_map(sources, "column_map.csv",
                     ["source", "file_pattern", "field", "header", "constant", "format"], rows)


def value_map(sources: Path, rows: list[list[str]]) -> Path:
    return write_map(sources, "value_map.csv", ["source", "field", "raw_value", "value"], rows)


def settings_file(sources: Path, rows: list[list[str]]) -> Path:
    return write_map(sources, "settings.csv", ["key", "value"], rows)


def exchange_rates(sources: Path, rows: list[list[str]]) -> Path:
    return write_map(sources, "exchange_rates.csv", ["currency", "month", "eur_per_unit"], rows)


def pseudonym_of(data_dir: Path, address: str) -> str:
    """The pseudonym an e-mail address gets in this data dir (pseudonym.py, by hand)."""
    key = bytes.fromhex((data_dir / "pseudonym.key").read_text().strip())
    return "ps-" + hmac.new(key, address.strip().lower().encode(), "sha256").hexdigest()[:24]


def values_holding(database: Path, secrets: list[str]) -> dict[str, list[str]]:
    """Which text columns of which tables of a DuckDB file hold which of `secrets` (a string
    compressed in the file's blocks would escape a search of its bytes)."""
    import duckdb

    found: dict[str, list[str]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            name = f'"{schema}"."{table}"."{column}"'
            for secret in secrets:
                hit = con.execute(f'select count(*) from "{schema}"."{table}" '
                                  f'where contains(lower("{column}"), lower(?))',
                                  [secret]).fetchall()[0][0]
                if hit:
                    found.setdefault(name, []).append(secret)
    return found


def files_holding(data_dir: Path, secrets: list[str]) -> dict[str, list[str]]:
    """Which files of the data dir hold which of `secrets` in their bytes (UTF-8 and
    UTF-16, as DuckDB or a log could write them)."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        for secret in secrets:
            for encoded in (secret.encode(), secret.encode("utf-16-le")):
                if encoded in blob:
                    found.setdefault(str(path.relative_to(data_dir)), []).append(secret)
    return found


# --- Shopify: Orders → Export → "All orders", CSV for Excel ... or plain CSV -------------------
# One row per line item; the order's columns are filled on its first line only (Name, Email
# and Created at on every line); Billing and Shipping blocks name the customer.

SHOPIFY_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
    "Discount Code", "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity",
    "Lineitem name", "Lineitem price", "Lineitem compare at price", "Lineitem sku",
    "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status",
    "Billing Name", "Billing Street", "Billing Address1", "Billing Address2",
    "Billing Company", "Billing City", "Billing Zip", "Billing Province", "Billing Country",
    "Billing Phone", "Shipping Name", "Shipping Street", "Shipping Address1",
    "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level",
    "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Phone", "Receipt Number",
    "Duties", "Billing Province Name", "Shipping Province Name", "Payment ID",
    "Payment Terms Name", "Next Payment Due At", "Payment References",
]


def shopify_line(name: str, email: str, created: str, item: str, price: str,
                 order: dict[str, str] | None = None) -> list[str]:
    """One line of a Shopify order; `order` fills the order's columns (first line only)."""
    row = dict.fromkeys(SHOPIFY_HEADER, "")
    row.update({"Name": name, "Email": email, "Created at": created, "Lineitem quantity": "1",
                "Lineitem name": item, "Lineitem price": price,
                "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                "Lineitem fulfillment status": "pending", "Vendor": "Hagebau Antriebe"})
    if order:
        person = order.pop("_person", "Erika Mustermann")
        row.update({"Accepts Marketing": "no", "Shipping": "4.90", "Taxes": "0.00",
                    "Discount Amount": "0.00", "Shipping Method": "Standard",
                    "Billing Name": person, "Billing Street": "Hauptstraße 1",
                    "Billing Address1": "Hauptstraße 1", "Billing City": "Gütersloh",
                    "Billing Zip": "33330", "Billing Country": "DE",
                    "Billing Phone": "+49 5241 123456", "Shipping Name": person,
                    "Payment Method": "Shopify Payments", "Id": "5123456789012",
                    "Risk Level": "Low", "Source": "web", "Outstanding Balance": "0.00"})
        row.update(order)
    return [row[h] for h in SHOPIFY_HEADER]


def write_shopify(sources: Path, name: str = "orders_export_1.csv") -> Path:
    lines = [
        shopify_line("#1001", "erika.muster@example.org", "2026-06-12 17:07:44 +0200",
                     "Zahnriemen HTD 8M", "39.90",
                     {"Financial Status": "paid", "Paid at": "2026-06-12 17:07:45 +0200",
                      "Fulfillment Status": "fulfilled", "Currency": "EUR",
                      "Subtotal": "59.90", "Total": "64.80"}),
        shopify_line("#1001", "erika.muster@example.org", "2026-06-12 17:07:44 +0200",
                     "Spannrolle 40 mm", "20.00"),
        shopify_line("#1002", "Max.Power@Example.org", "2026-06-13 09:15:02 -0400",
                     "Kettenrad Z18", "100.00",
                     {"Financial Status": "pending", "Currency": "USD", "Subtotal": "100.00",
                      "Total": "104.90", "_person": "Max Power"}),
        shopify_line("#1003", "erika.muster@example.org", "2026-06-20 11:00:00 +0200",
                     "Riemenscheibe", "12.50",
                     {"Financial Status": "refunded", "Currency": "EUR", "Subtotal": "12.50",
                      "Total": "17.40", "Refunded Amount": "17.40"}),
        shopify_line("#1004", "max.power@example.org", "2026-07-01 08:00:00 -0400",
                     "Lager 6204", "30.00",
                     {"Financial Status": "paid", "Currency": "USD", "Subtotal": "30.00",
                      "Total": "34.90", "_person": "Max Power"}),
        # two lines of one order that disagree on its currency: a broken export
        shopify_line("#1005", "erika.muster@example.org", "2026-06-21 10:00:00 +0200",
                     "Welle", "10.00",
                     {"Financial Status": "paid", "Currency": "EUR", "Subtotal": "10.00"}),
        shopify_line("#1005", "erika.muster@example.org", "2026-06-21 10:00:00 +0200",
                     "Nut", "1.00", {"Currency": "USD", "_person": "Erika Mustermann"}),
    ]
    return write_delimited(sources / "erp_orders" / name, [SHOPIFY_HEADER, *lines],
                           delimiter=",", encoding="utf-8", newline="\n")


SHOPIFY_MAP = [
    ["erp_orders", "orders_export*.csv", "order_id", "Name", "", ""],
    ["erp_orders", "orders_export*.csv", "customer_id", "Email", "", ""],
    ["erp_orders", "orders_export*.csv", "net_amount", "Subtotal", "", "decimal_point"],
    ["erp_orders", "orders_export*.csv", "status", "Financial Status", "", ""],
    ["erp_orders", "orders_export*.csv", "org_unit", "", "VT-IN", ""],
    ["erp_orders", "orders_export*.csv", "channel", "", "Webshop", ""],
]
SHOPIFY_VALUES = [
    ["erp_orders", "status", "paid", "invoiced"],
    ["erp_orders", "status", "pending", "open"],
    ["erp_orders", "status", "refunded", "cancelled"],
    ["erp_orders", "status", "voided", "cancelled"],
]


# --- Odoo: list view → select → Action → Export (Excel) ---------------------------------------
# A one2many field exported with its parent writes the parent's fields on the first line of
# each record only: the rows below with an empty "Order Reference" are its further lines.

ODOO_ORDER_HEADER = ["Order Reference", "Order Date", "Customer", "Salesperson", "Sales Team",
                     "Untaxed Amount", "Status", "Order Lines/Product",
                     "Order Lines/Quantity", "Order Lines/Subtotal"]


def write_odoo_orders(sources: Path, name: str = "sale.order.xlsx") -> Path:
    rows = [
        ["S00041", dt.datetime(2026, 5, 4, 9, 30, 12), "Müller Antriebe GmbH", "Jana Berg",
         "Europe", 1250.0, "Sales Order", "[FURN_0001] Getriebemotor", 2, 1000.0],
        [None, None, None, None, None, None, None, "[FURN_0002] Kupplung", 5, 250.0],
        ["S00042", dt.datetime(2026, 5, 6, 14, 2, 0), "Schulz & Söhne KG", "Jana Berg",
         "Direct Sales", 99.5, "Quotation", "[E-COM11] Dichtung", 10, 99.5],
        ["S00043", dt.datetime(2026, 5, 7, 8, 0, 0), "Müller Antriebe GmbH", "Tom Roth",
         "Europe", 400.0, "Cancelled", "[FURN_0001] Getriebemotor", 1, 400.0],
        [None, None, None, None, None, None, None, "[FURN_0009] Rabatt", 1, "k.A."],
    ]
    return write_xlsx(sources / "erp_orders" / name, [ODOO_ORDER_HEADER, *rows])


ODOO_ORDER_MAP = [
    ["erp_orders", "sale.order*", "order_id", "Order Reference", "", ""],
    ["erp_orders", "sale.order*", "customer_id", "Customer", "", ""],
    ["erp_orders", "sale.order*", "org_unit", "Sales Team", "", ""],
    ["erp_orders", "sale.order*", "net_amount", "Order Lines/Subtotal", "", ""],
    ["erp_orders", "sale.order*", "channel", "", "Außendienst", ""],
]
ODOO_ORDER_VALUES = [
    ["erp_orders", "org_unit", "Europe", "VT-EX"],
    ["erp_orders", "org_unit", "Direct Sales", "VT-IN"],
    ["erp_orders", "status", "Quotation", "open"],
    ["erp_orders", "status", "Sales Order", "open"],
    ["erp_orders", "status", "Locked", "delivered"],
    ["erp_orders", "status", "Cancelled", "cancelled"],
]

ODOO_LEAD_HEADER = ["ID", "Created on", "Opportunity", "Customer", "Email", "Phone",
                    "Salesperson", "Sales Team", "Stage", "Expected Revenue", "Probability",
                    "Closed Date", "Source"]


def write_odoo_leads(sources: Path, name: str = "crm.lead.csv") -> Path:
    rows = [
        ["__export__.crm_lead_12_0c5f9a1e", "2026-04-02 10:11:12", "Antriebe für Linie 3",
         "Müller Antriebe GmbH", "einkauf@mueller-antriebe.example", "+49 521 998877",
         "Jana Berg", "Europe", "Won", "12000.00", "100.0", "2026-05-02 16:00:00", "Website"],
        ["__export__.crm_lead_13_7d21be40", "2026-04-15 08:00:00", "Wartungsvertrag",
         "Schulz & Söhne KG", "info@schulz.example", "", "Tom Roth", "Direct Sales",
         "Qualified", "3500.50", "40.0", "", "Messe"],
        ["__export__.crm_lead_14_9a0e3c11", "2026-04-20 13:45:00", "Ersatzteile",
         "Meyer GmbH", "", "", "Tom Roth", "Direct Sales", "Proposition", "", "60.0", "",
         "Website"],
    ]
    return write_delimited(sources / "crm_leads" / name, [ODOO_LEAD_HEADER, *rows],
                           delimiter=",", encoding="utf-8", newline="\n",
                           quoting=csv.QUOTE_ALL)


ODOO_LEAD_MAP = [
    ["crm_leads", "crm.lead*", "lead_id", "ID", "", ""],
    ["crm_leads", "crm.lead*", "org_unit", "Sales Team", "", ""],
    ["crm_leads", "crm.lead*", "status", "Stage", "", ""],
]
ODOO_LEAD_VALUES = [
    ["crm_leads", "org_unit", "Europe", "VT-EX"],
    ["crm_leads", "org_unit", "Direct Sales", "VT-IN"],
    ["crm_leads", "status", "New", "open"],
    ["crm_leads", "status", "Qualified", "open"],
    ["crm_leads", "status", "Proposition", "open"],
    ["crm_leads", "status", "Won", "won"],
]

ODOO_EMPLOYEE_HEADER = ["Employee Name", "Work Email", "Work Phone",
                        "Department/Department Name", "Job Position", "Manager",
                        "First Contract Date"]


def write_odoo_employees(sources: Path, name: str = "hr.employee.xlsx") -> Path:
    rows = [
        ["Anna Berg", "Anna.Berg@firma.example", "+49 5241 1001", "Vertrieb Inland",
         "Vertriebsmitarbeiterin", "Jana Berg", dt.date(2021, 3, 1)],
        ["Ben Kurz", "ben.kurz@firma.example", "+49 5241 1002", "Einkauf & Logistik",
         "Einkäufer", "Jana Berg", dt.date(2019, 10, 15)],
        ["Cem Aydin", "cem.aydin@firma.example", "", "Werk Gütersloh", "Meister",
         "Tom Roth", dt.date(2024, 1, 8)],
    ]
    return write_xlsx(sources / "hr_employees" / name, [ODOO_EMPLOYEE_HEADER, *rows])


ODOO_EMPLOYEE_MAP = [
    ["hr_employees", "hr.employee*", "employee_id", "Work Email", "", ""],
    ["hr_employees", "hr.employee*", "org_unit", "Department/Department Name", "", ""],
    ["hr_employees", "hr.employee*", "entry_date", "First Contract Date", "", ""],
]


# --- DATEV: Buchungsstapel (EXTF, format version 700) -----------------------------------------
# Line 1 describes the batch (fields 15 and 16: its period), line 2 the columns; Windows-1252,
# `;`, amounts with a decimal comma and a separate Soll/Haben sign, Belegdatum as TTMM.

DATEV_HEADER_LINE = ('"EXTF";700;21;"Buchungsstapel";13;20260203101530123;;"RE";"";"";29098;'
                     '55003;20260101;4;20260101;20260131;"Ausgangsrechnungen Januar";"MM";1;0;'
                     '0;"EUR";;"";;;"03";;;"";""')
DATEV_COLUMNS = ["Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
                 "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto",
                 "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum", "Belegfeld 1",
                 "Belegfeld 2", "Skonto", "Buchungstext", "Postensperre",
                 "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt", "Zinssperre",
                 "Beleglink", "Beleginfo - Art 1", "Beleginfo - Inhalt 1",
                 "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge",
                 "EU-Land u. UStID (Bestimmung)", "EU-Steuersatz (Bestimmung)"]


def write_datev(sources: Path, name: str = "EXTF_Buchungsstapel_2026-01.csv") -> Path:
    rows = [
        ["1.190,00", "S", "EUR", "", "", "", "10001", "8400", "", "0501", "RE-2026-0001", "",
         "", "Rechnung Müller Antriebe", "", "", "", "", "", "", "", "", "VT-IN", "", "", "",
         ""],
        ["238,00", "S", "EUR", "", "", "", "10002", "8400", "", "1701", "RE-2026-0002", "", "",
         "Rechnung Schulz „Express“", "", "", "", "", "", "", "", "", "VT-EX", "", "", "", ""],
        ["59,50", "S", "EUR", "", "", "", "10001", "8400", "", "3101", "RE-2026-0003", "", "",
         "Rechnung Müller Antriebe", "", "", "", "", "", "", "", "", "VT-IN", "", "", "", ""],
    ]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerows([DATEV_COLUMNS, *rows])
    path = sources / "erp_orders" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((DATEV_HEADER_LINE + "\r\n" + buf.getvalue()).encode("cp1252"))
    return path


DATEV_MAP = [
    ["erp_orders", "EXTF_*", "order_id", "Belegfeld 1", "", ""],
    ["erp_orders", "EXTF_*", "order_date", "Belegdatum", "", "%d%m"],
    ["erp_orders", "EXTF_*", "customer_id", "Konto", "", ""],
    ["erp_orders", "EXTF_*", "org_unit", "KOST1 - Kostenstelle", "", ""],
    ["erp_orders", "EXTF_*", "net_amount", "Umsatz (ohne Soll/Haben-Kz)", "", ""],
    ["erp_orders", "EXTF_*", "currency", "WKZ Umsatz", "", ""],
    ["erp_orders", "EXTF_*", "channel", "", "Außendienst", ""],
]


# --- Jira: Filters → Export → CSV (all fields) -------------------------------------------------
# Duplicate headers for multi-value fields (Labels, Sprint, Comment); dates as `12/Jun/26 5:07
# PM` in the exporting user's format; people as names or e-mail addresses.

JIRA_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key",
               "Project name", "Project type", "Project lead", "Priority", "Resolution",
               "Assignee", "Reporter", "Creator", "Created", "Updated", "Last Viewed",
               "Resolved", "Fix Version/s", "Component/s", "Due date", "Labels", "Labels",
               "Description", "Sprint", "Sprint", "Comment", "Comment"]


def write_jira(sources: Path, name: str = "Jira 2026-07-01.csv") -> Path:
    rows = [
        ["Go-live Webshop", "DIGI-12", "10012", "Milestone", "Done", "DIGI",
         "Digitalisierung Vertrieb", "business", "Jana Berg", "High", "Done",
         "jana.berg@firma.example", "tom.roth@firma.example", "tom.roth@firma.example",
         "02/Jan/26 9:00 AM", "12/Jun/26 5:07 PM", "", "12/Jun/26 5:07 PM", "", "Webshop",
         "31/May/26 12:00 AM", "webshop", "golive", "Shop live schalten", "Sprint 7", "",
         "12/Jun/26 5:07 PM;jana.berg@firma.example;erledigt", ""],
        ["Schnittstelle ERP", "DIGI-13", "10013", "Milestone", "In Progress", "DIGI",
         "Digitalisierung Vertrieb", "business", "Jana Berg", "Medium", "", "",
         "tom.roth@firma.example", "tom.roth@firma.example", "05/Jan/26 10:30 AM",
         "20/Jun/26 3:45 PM", "", "", "", "", "30/Sep/26 12:00 AM", "", "", "", "Sprint 8",
         "Sprint 9", "", ""],
    ]
    return write_delimited(sources / "project_milestones" / name, [JIRA_HEADER, *rows],
                           delimiter=",", encoding="utf-8", newline="\n")


JIRA_MAP = [["project_milestones", "Jira*.csv", "milestone_name", "Summary", "", ""]]


def write_projects(sources: Path, project_id: str = "DIGI") -> Path:
    return write_delimited(sources / "projects" / "projekte_2026-06-30.csv", [
        ["project_id", "project_name", "org_unit", "status_date", "budget_eur",
         "cost_to_date_eur", "percent_complete"],
        [project_id, "Digitalisierung Vertrieb", "VT", "30.06.2026", "250.000", "120.000",
         "55 %"]])


# --- surveys ----------------------------------------------------------------------------------

QUESTION_HEADER = ["question_id", "dimension", "text", "scale_min", "scale_max",
                   "reverse_coded"]


def write_catalog(sources: Path, rows: list[list[str]]) -> Path:
    return write_delimited(sources / "config" / "survey_questions.csv",
                           [QUESTION_HEADER, *rows], delimiter=",", encoding="utf-8")


# LimeSurvey: Responses → Export → CSV; "Question code" headings write `q1[vis1]` for the
# sub-questions of an array question and answer codes (`A1` ...) for its answer options;
# "Full question text" headings write `Question text [Sub-question text]` and the answers'
# labels. An anonymised survey writes `1980-01-01 00:00:00` as every response's date.

LIME_CATALOG = [
    ["q1[vis1]", "strategy", "Wir haben eine Vision", "1", "5", "nein"],
    ["q1[vis2]", "strategy", "Die Ziele sind klar", "1", "5", "nein"],
    ["q1[vis3]", "strategy", "Die Führung lebt es vor", "1", "5", "nein"],
    ["Q10", "enps", "Weiterempfehlung", "0", "10", "nein"],
    ["Q12", "acceptance", "Informationen per E-Mail", "1", "5", "nein"],
]


def write_lime_codes(sources: Path, name: str = "results-survey845123-codes.csv") -> Path:
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate",
              "datestamp", "ipaddr", "refurl", "token", "email", "abteilung", "q1[vis1]",
              "q1[vis2]", "q1[vis3]", "q10", "Q12"]
    rows = [
        ["1", "1980-01-01 00:00:00", "3", "de", "1840311", "1980-01-01 00:00:00",
         "1980-01-01 00:00:00", "", "", "", "", "VT-IN", "A4", "A5", "A3", "9", "A2"],
        ["2", "1980-01-01 00:00:00", "3", "de", "2210991", "1980-01-01 00:00:00",
         "1980-01-01 00:00:00", "", "", "", "", "PR-W2", "A2", "", "A1", "6", "A5"],
        ["3", "", "1", "de", "9934412", "1980-01-01 00:00:00", "1980-01-01 00:00:00", "",
         "", "", "", "EK", "A1", "", "", "", ""],
        ["4", "1980-01-01 00:00:00", "3", "de", "1128734", "1980-01-01 00:00:00",
         "1980-01-01 00:00:00", "", "", "", "", "EK", "A6", "A4", "A4", "10", "A4"],
    ]
    return write_delimited(sources / "survey_responses" / name, [header, *rows],
                           delimiter=",", encoding="utf-8", bom=True, quoting=csv.QUOTE_ALL,
                           newline="\n")


LIME_CODE_MAP = [
    ["survey_responses", "results-survey845123-codes*", "submitted_at", "", "2026-06-30", ""],
    ["survey_responses", "results-survey845123-codes*", "org_unit", "abteilung", "", ""],
]
LIME_CODE_VALUES = [["survey_responses", "answer", f"A{n}", str(n)] for n in range(1, 6)]

LIME_TEXT_QUESTION = "Wie sehr stimmen Sie den Aussagen zu?"


def write_lime_text(sources: Path, name: str = "results-survey845123-text.csv") -> Path:
    header = ["Response ID", "Date submitted", "Last page", "Start language", "Seed",
              "Date started", "Date last action", "Abteilung",
              f"{LIME_TEXT_QUESTION} [Wir haben eine Vision]",
              f"{LIME_TEXT_QUESTION} [Die Ziele sind klar]",
              f"{LIME_TEXT_QUESTION} [Die Führung lebt es vor]",
              "Wie wahrscheinlich empfehlen Sie uns weiter?",
              "Wie erhalten Sie Informationen? [Ich erhalte Infos per E-Mail]"]
    rows = [
        ["11", "2026-07-02 08:15:09", "3", "de", "871", "2026-07-02 08:10:00",
         "2026-07-02 08:15:09", "Vertrieb Inland", "Stimme voll zu", "Stimme größtenteils zu",
         "Teils/teils", "9", "Stimme eher nicht zu"],
        ["12", "2026-07-03 17:40:55", "3", "de", "872", "2026-07-03 17:30:00",
         "2026-07-03 17:40:55", "Einkauf & Logistik", "Stimme überhaupt nicht zu", "",
         "Weiß nicht", "4", "Stimme voll zu"],
    ]
    return write_delimited(sources / "survey_responses" / name, [header, *rows],
                           delimiter=",", encoding="utf-8", bom=True, quoting=csv.QUOTE_ALL,
                           newline="\n")


LIME_TEXT_MAP = [
    ["survey_responses", "*-text.csv", "q1[vis1]", f"{LIME_TEXT_QUESTION} [Wir haben eine Vision]",
     "", ""],
    ["survey_responses", "*-text.csv", "q1[vis2]", f"{LIME_TEXT_QUESTION} [Die Ziele sind klar]",
     "", ""],
    ["survey_responses", "*-text.csv", "q1[vis3]",
     f"{LIME_TEXT_QUESTION} [Die Führung lebt es vor]", "", ""],
    ["survey_responses", "*-text.csv", "Q10", "Wie wahrscheinlich empfehlen Sie uns weiter?",
     "", ""],
    ["survey_responses", "*-text.csv", "Q12",
     "Wie erhalten Sie Informationen? [Ich erhalte Infos per E-Mail]", "", ""],
]
LIME_TEXT_VALUES = [
    ["survey_responses", "answer", "Stimme überhaupt nicht zu", "1"],
    ["survey_responses", "answer", "Stimme eher nicht zu", "2"],
    ["survey_responses", "answer", "Teils/teils", "3"],
    ["survey_responses", "answer", "Stimme größtenteils zu", "4"],
    ["survey_responses", "answer", "Stimme voll zu", "5"],
]


# Qualtrics: Data & Analysis → Export → CSV ("Use choice text" off): three header rows —
# the column ids, the question texts, and the import ids as JSON.

QUALTRICS_CATALOG = [
    ["Q1_1", "processes", "Papierlos", "1", "5", "nein"],
    ["Q1_2", "processes", "Automatisiert", "1", "5", "nein"],
    ["Q2", "enps", "Weiterempfehlung", "0", "10", "nein"],
]


def write_qualtrics(sources: Path, name: str = "Mitarbeiterbefragung_July 2, 2026_10.15.csv",
                    workbook: bool = False) -> Path:
    """The CSV export, or (`workbook`) the Excel one: the same three header rows."""
    ids = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
           "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
           "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
           "DistributionChannel", "UserLanguage", "Q1_1", "Q1_2", "Q2", "Q3"]
    texts = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
             "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
             "Recipient Last Name", "Recipient First Name", "Recipient Email",
             "External Data Reference", "Location Latitude", "Location Longitude",
             "Distribution Channel", "User Language",
             "Wie digital arbeiten Sie? - Papierlos", "Wie digital arbeiten Sie? - Automatisiert",
             "Wie wahrscheinlich empfehlen Sie uns?", "In welcher Abteilung arbeiten Sie?"]
    imports = ['{"ImportId":"startDate","timeZone":"Europe/Berlin"}',
               '{"ImportId":"endDate","timeZone":"Europe/Berlin"}', '{"ImportId":"status"}',
               '{"ImportId":"ipAddress"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}',
               '{"ImportId":"finished"}', '{"ImportId":"recordedDate","timeZone":"Europe/Berlin"}',
               '{"ImportId":"_recordId"}', '{"ImportId":"recipientLastName"}',
               '{"ImportId":"recipientFirstName"}', '{"ImportId":"recipientEmail"}',
               '{"ImportId":"externalDataReference"}', '{"ImportId":"locationLatitude"}',
               '{"ImportId":"locationLongitude"}', '{"ImportId":"distributionChannel"}',
               '{"ImportId":"userLanguage"}', '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}',
               '{"ImportId":"QID2"}', '{"ImportId":"QID3_TEXT"}']
    rows = [
        ["2026-07-01 09:00:01", "2026-07-01 09:04:30", "IP Address", "203.0.113.7", "100",
         "269", "True", "2026-07-01 09:04:31", "R_1dmIgfXQ2ZbN6cx", "Berg", "Anna",
         "anna.berg@firma.example", "", "52.0", "8.4", "email", "DE", "4", "2", "8", "VT-IN"],
        ["2026-07-01 10:00:00", "2026-07-01 10:02:00", "IP Address", "203.0.113.9", "100",
         "120", "True", "2026-07-01 10:02:01", "R_3kPq8Zt9Ws1Lm2n", "Kurz", "Ben",
         "ben.kurz@firma.example", "", "52.0", "8.4", "email", "DE", "5", "", "10", "EK"],
    ]
    if workbook:
        return write_xlsx(sources / "survey_responses" / name.replace(".csv", ".xlsx"),
                          [ids, texts, imports, *rows])
    return write_delimited(sources / "survey_responses" / name, [ids, texts, imports, *rows],
                           delimiter=",", encoding="utf-8", bom=True, quoting=csv.QUOTE_ALL,
                           newline="\r\n")


QUALTRICS_MAP = [["survey_responses", "Mitarbeiterbefragung_*", "org_unit", "Q3", "", ""]]


# Google Forms: Responses → Download responses (.csv) — "Timestamp" in the form owner's
# locale (`7/1/2024 22:05:36` for en-US), no response id, the questions' titles as headers.

FORMS_QUESTIONS = {"Q01": "Wir haben eine digitale Strategie",
                   "Q02": "Unsere Prozesse sind papierlos",
                   "Q10": "Wie wahrscheinlich empfehlen Sie uns weiter?"}


def forms_rows() -> list[list[str]]:
    return [
        ["7/1/2026 22:05:36", "anna.berg@firma.example", "Vertrieb Inland", "4", "3", "9"],
        ["7/1/2026 22:05:36", "ben.kurz@firma.example", "Einkauf & Logistik", "2", "2", "7"],
        # two people who answered alike in the same second
        ["7/13/2026 9:00:00", "", "Einkauf & Logistik", "3", "3", "8"],
        ["7/13/2026 9:00:00", "", "Einkauf & Logistik", "3", "3", "8"],
    ]


def write_forms(sources: Path, rows: list[list[str]],
                name: str = "Mitarbeiterbefragung (Responses) - Form Responses 1.csv") -> Path:
    header = ["Timestamp", "Email Address", "Abteilung", *FORMS_QUESTIONS.values()]
    return write_delimited(sources / "survey_responses" / name, [header, *rows],
                           delimiter=",", encoding="utf-8", newline="\r\n")


FORMS_MAP = [["survey_responses", "*Form Responses*", qid, text, "", ""]
             for qid, text in FORMS_QUESTIONS.items()]


# Microsoft 365 admin center: Reports → Usage → Microsoft Teams → User activity → Export
# (CSV, UTF-8 with BOM): every licensed user, the active ones with their last activity
# date, the inactive ones without.

TEAMS_HEADER = ["Report Refresh Date", "User Id", "User Principal Name", "Last Activity Date",
                "Is Deleted", "Deleted Date", "Assigned Products", "Team Chat Message Count",
                "Private Chat Message Count", "Call Count", "Meeting Count",
                "Meetings Organized Count", "Meetings Attended Count",
                "Ad Hoc Meetings Organized Count", "Ad Hoc Meetings Attended Count",
                "Scheduled One-time Meetings Organized Count",
                "Scheduled One-time Meetings Attended Count",
                "Scheduled Recurring Meetings Organized Count",
                "Scheduled Recurring Meetings Attended Count", "Audio Duration",
                "Video Duration", "Screen Share Duration", "Has Other Action",
                "Urgent Messages", "Post Messages", "Tenant Display Name",
                "Shared Channel Tenant Display Names", "Reply Messages", "Is Licensed",
                "Report Period"]


def teams_row(upn: str, last: str, private: int) -> list[str]:
    row = dict.fromkeys(TEAMS_HEADER, "0")
    row.update({"Report Refresh Date": "2026-07-05", "User Id": "5f1c3e2a-8b7d-4c09-9e1f-"
                f"{abs(hash(upn)) % 10**12:012d}", "User Principal Name": upn,
                "Last Activity Date": last, "Is Deleted": "False", "Deleted Date": "",
                "Assigned Products": "MICROSOFT 365 E3+MICROSOFT TEAMS",
                "Private Chat Message Count": str(private), "Has Other Action": "No",
                "Tenant Display Name": "Firma GmbH", "Shared Channel Tenant Display Names": "",
                "Audio Duration": "PT0S", "Video Duration": "PT0S",
                "Screen Share Duration": "PT0S", "Is Licensed": "Yes", "Report Period": "7"})
    return [row[h] for h in TEAMS_HEADER]


def write_teams(sources: Path, encoding: str = "utf-8-sig",
                name: str = "TeamsUserActivityUserDetail7_5_2026 10_15_00 AM.csv") -> Path:
    rows = [teams_row("anna.berg@firma.example", "2026-07-03", 12),
            teams_row("BEN.KURZ@firma.example", "2026-07-01", 3),
            teams_row("cem.aydin@firma.example", "", 0)]   # inactive in the period
    delimiter = "\t" if encoding == "utf-16" else ","
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows([TEAMS_HEADER, *rows])
    path = sources / "it_usage" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = buf.getvalue().encode("utf-8")
    if encoding == "utf-8-sig":
        data = codecs.BOM_UTF8 + data
    elif encoding == "utf-16":  # Excel's "Unicode text": UTF-16 LE with BOM, tab-separated
        data = buf.getvalue().encode("utf-16")
    path.write_bytes(data)
    return path


TEAMS_MAP = [
    ["it_usage", "TeamsUserActivity*", "tool", "", "Teams", ""],
    ["it_usage", "TeamsUserActivity*", "events", "Private Chat Message Count", "", ""],
]
