"""Orders (ERP), customer interactions and leads (CRM) of the three sales units.

The digital shares are planted by construction: for every sales unit and month the
generator fixes how many orders (interactions) there are and how many of them came in
through a digital channel, so the published KPI must equal k/n exactly. Vertrieb Inland in
March 2025 is the headline: 320 orders, 120 digital, 37.5 %. A corrected re-export of that
month fixes channels that were first booked as `Telefon`, so the share only comes out right
when the later file wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import formats as f
from .exports import Column, ExportFile, FileFormat
from .org import OrgTree
from .timeline import DATA_END, month_end, month_starts, quarter_ends

END = pd.Timestamp(DATA_END)

# unit -> (orders per month, digital share at start, at end, typical net amount)
ORDER_UNITS = {
    "VT-IN": (340, 0.25, 0.50, 3200.0),
    "VT-EX": (240, 0.35, 0.60, 7800.0),
    "VT-SV": (300, 0.15, 0.40, 420.0),
}
# (unit, month) -> (orders not cancelled, of them digital)
PLANTED_ORDER_CELLS = {("VT-IN", "2025-03"): (320, 120)}
CORRECTION_FILE = "auftraege_2025-04-15_korrektur.csv"

DIGITAL_ORDER_CHANNELS = {
    "VT-IN": {"Webshop": .45, "B2B-Portal": .25, "EDI": .15, "Web-Shop": .05, "webshop": .05,
              "Kundenportal": .05},
    "VT-EX": {"EDI": .55, "B2B-Portal": .2, "OCI-Punchout": .15, "Marktplatz": .1},
    "VT-SV": {"Webshop": .7, "Online-Shop": .2, "Kundenportal": .1},
}
MANUAL_ORDER_CHANNELS = {
    "VT-IN": {"Telefon": .3, "E-Mail": .35, "Fax": .1, "Außendienst": .15, "Vertreterbesuch": .1},
    "VT-EX": {"E-Mail": .55, "Telefon": .2, "Außendienst": .15, "Messe": .1},
    "VT-SV": {"Telefon": .5, "E-Mail": .3, "email": .1, "Fax": .1},
}
CUSTOMER_POOLS = {"VT-IN": (10000, 650), "VT-EX": (20000, 260), "VT-SV": (30000, 520)}
ERP_STATUS_DE = {"open": "offen", "delivered": "geliefert", "invoiced": "fakturiert",
                 "cancelled": "storniert"}
REMARKS = [
    "Teillieferung; Rest folgt KW 12",
    "Kunde bittet um Rückruf\nvor Auslieferung",
    'Preis lt. Rahmenvertrag "RV-2025"',
    "Expresszuschlag 45 €",
    "Liefertermin verschoben; Kunde informiert",
]

# unit -> (interactions per month, digital share at start, at end)
INTERACTION_UNITS = {"VT-IN": (300, 0.30, 0.50), "VT-EX": (200, 0.35, 0.55),
                     "VT-SV": (320, 0.25, 0.60)}
DIGITAL_INTERACTION_CHANNELS = {"Webchat": .3, "MS Teams": .25, "Videocall": .15,
                                "Kundenportal": .15, "Self-Service": .1, "App": .05}
MANUAL_INTERACTION_CHANNELS = {"Telefon": .45, "E-Mail": .3, "Besuch": .12, "Messe": .05,
                               "Kundenhotline": .08}
TOPICS = [
    "Angebot", "Reklamation", "Liefertermin", "Ersatzteilanfrage", "Wartungsvertrag",
    "Reklamation, Getriebe G-40", "Rückruf erbeten\nbzgl. Liefertermin",
    'Schulung "Kundenportal"', None,
]

LEAD_UNITS = {"VT-IN": 55, "VT-EX": 35}
LEAD_SOURCES = {"Website-Formular": .3, "Messe": .2, "Empfehlung": .2, "Telefon": .15,
                "LinkedIn": .1, "E-Mail": .05}
LEAD_STATUS_DE = {"open": "offen", "won": "gewonnen", "lost": "verloren"}


def _pick(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    names = list(weights)
    p = np.array([weights[n] for n in names])
    return rng.choice(names, size=size, p=p / p.sum())


def _weekdays(month: pd.Timestamp) -> pd.DatetimeIndex:
    days = pd.date_range(month, month_end(month), freq="D")
    return days[days.day_of_week < 5]


def _customers(rng: np.random.Generator, unit: str, size: int) -> list[str]:
    first, count = CUSTOMER_POOLS[unit]
    weights = 1.0 / np.arange(1, count + 1) ** 0.9
    picks = rng.choice(count, size=size, p=weights / weights.sum())
    return [f"K{first + int(i)}" for i in picks]


def _cell_counts(rng, base, share_start, share_end, index, scale, planted):
    """Orders (or interactions) in one unit-month and how many of them are digital."""
    if planted is not None:
        n, k = planted
        factor = max(1, round(n * scale / 8)) * 8 / n
        return round(n * factor), round(k * factor)
    n = max(1, round(base * scale * (1 + 0.08 * np.sin(2 * np.pi * index / 12)
                                     + rng.normal(0, 0.05))))
    share = share_start + (share_end - share_start) * index / 23 + rng.normal(0, 0.02)
    return n, int(np.clip(round(n * share), 0, n))


# ----------------------------------------------------------------------------- orders

def build_orders(rng: np.random.Generator, scale: float) -> tuple[pd.DataFrame, list[dict]]:
    """All orders (final state) and the planted digital-share cells."""
    months = month_starts()
    parts, planted = [], []
    for unit, (base, share_start, share_end, amount) in ORDER_UNITS.items():
        for index, month in enumerate(months):
            n, k = _cell_counts(rng, base, share_start, share_end, index, scale,
                                PLANTED_ORDER_CELLS.get((unit, f"{month:%Y-%m}")))
            cancelled = int(rng.binomial(n, 0.03))
            total = n + cancelled
            digital = np.zeros(total, dtype=bool)
            digital[:k] = True
            digital[n:] = rng.random(cancelled) < 0.3
            channels = np.where(
                digital,
                _pick(rng, DIGITAL_ORDER_CHANNELS[unit], total),
                _pick(rng, MANUAL_ORDER_CHANNELS[unit], total),
            )
            days = _weekdays(month)
            age = (END.year - month.year) * 12 + END.month - month.month
            status = rng.choice(["invoiced", "delivered", "open"], size=total,
                                p=[.93, .06, .01] if age >= 3 else
                                [.5, .4, .1] if age >= 1 else [.1, .35, .55])
            status[n:] = "cancelled"
            parts.append(pd.DataFrame({
                "org_unit_id": unit,
                "order_date": days[rng.integers(0, len(days), size=total)],
                "customer_id": _customers(rng, unit, total),
                "channel": channels,
                "_digital": digital,
                "net_amount": np.round(rng.lognormal(np.log(amount), 0.8, size=total), 2),
                "status": status,
            }))
            planted.append({"kpi_id": "digital_order_share", "month": month,
                            "org_unit_id": unit, "numerator": float(k),
                            "denominator": float(n), "value": k / n})
    orders = pd.concat(parts, ignore_index=True)
    lead_days = np.where(orders["_digital"], rng.choice([0, 1, 2], size=len(orders),
                                                     p=[.5, .35, .15]),
                         1 + rng.poisson(2.5, size=len(orders)))
    confirmed = orders.order_date + pd.to_timedelta(lead_days, unit="D")
    unconfirmed = (rng.random(len(orders)) < 0.02) | (
        (orders.status == "open") & (rng.random(len(orders)) < 0.5)) | (confirmed > END)
    orders["confirmed_date"] = confirmed.where(~unconfirmed)
    orders["currency"] = "EUR"
    orders["_currency_blank"] = rng.random(len(orders)) < 0.15
    remark = rng.integers(0, len(REMARKS), size=len(orders))
    orders["_remark"] = np.where(rng.random(len(orders)) < 0.04,
                                 np.array(REMARKS, dtype=object)[remark], None)
    orders["_arrival"] = rng.random(len(orders))  # order of entry within a day
    orders = orders.sort_values(["order_date", "_arrival"], kind="stable")
    orders["order_id"] = [f"AU-{1000001 + i}" for i in range(len(orders))]
    return orders.reset_index(drop=True), planted


def _erp_unit(rng: np.random.Generator, tree: OrgTree):
    """The ERP writes the sales area's id; a few rows carry its name or a lower-case id."""
    def render(records: pd.DataFrame) -> list[str]:
        rolls = rng.random(len(records))
        return [tree.name(u) if r < 0.04 else tree.id(u).lower() if r < 0.07 else tree.id(u)
                for u, r in zip(records.org_unit_id, rolls, strict=True)]
    return render


def _erp_layout(rng: np.random.Generator, old: bool, tree: OrgTree) -> list[Column]:
    """The ERP's order list; before the 2025 upgrade: other headers, `31.12.24`, Capitalised
    status words."""
    def status(records):
        words = f.mapped(records.status, ERP_STATUS_DE)
        return [w.capitalize() for w in words] if old else words

    date = (lambda col: f.de_date(col, two_digit_year=True)) if old else f.de_date
    currency = lambda r: ["" if blank else c for c, blank in  # noqa: E731
                          zip(r.currency, r["_currency_blank"], strict=True)]
    if old:
        return [
            Column("Belegnummer", "order_id", lambda r: f.text(r.order_id)),
            Column("Belegdatum", "order_date", lambda r: date(r.order_date)),
            Column("AB-Datum", "confirmed_date", lambda r: date(r.confirmed_date)),
            Column("Debitor", "customer_id", lambda r: f.text(r.customer_id)),
            Column("Kostenstelle", "org_unit", _erp_unit(rng, tree)),
            Column("Kanal", "channel", lambda r: f.text(r.channel)),
            Column("Nettowert", "net_amount", lambda r: f.de_number(r.net_amount)),
            Column("Währung", "currency", currency),
            Column("Status", "status", status),
            Column("Bemerkung", None, lambda r: f.text(r["_remark"])),
        ]
    return [
        Column("Auftragsnummer", "order_id", lambda r: f.text(r.order_id)),
        Column("Auftragsdatum", "order_date", lambda r: date(r.order_date)),
        Column("Kundennummer", "customer_id", lambda r: f.text(r.customer_id)),
        Column("Vertriebsbereich", "org_unit", _erp_unit(rng, tree)),
        Column("Bestellkanal", "channel", lambda r: f.text(r.channel)),
        Column("Bemerkung", None, lambda r: f.text(r["_remark"])),
        Column("Nettobetrag", "net_amount", lambda r: f.de_number(r.net_amount)),
        Column("Währung", "currency", currency),
        Column("Auftragsstatus", "status", status),
        Column("Bestätigungsdatum", "confirmed_date", lambda r: date(r.confirmed_date)),
    ]


ERP_FORMAT = FileFormat(encoding="cp1252", delimiter=";")


def order_exports(orders: pd.DataFrame, rng: np.random.Generator,
                  tree: OrgTree) -> list[ExportFile]:
    """Quarterly ERP exports, one corrected re-export of March 2025, a few bad rows."""
    files: dict[str, ExportFile] = {}
    previous = None
    march = orders[(orders.org_unit_id == "VT-IN") & (orders.order_date >= "2025-03-01")
                   & (orders.order_date <= "2025-03-31") & (orders.status != "cancelled")]
    digital = march.index[march["_digital"]]
    rebooked = rng.choice(digital, size=max(1, round(len(digital) * 0.2)), replace=False)
    settled = march.index[~march["_digital"] & march.confirmed_date.notna()
                          & march.status.isin(["delivered", "invoiced"])]
    unsettled = rng.choice(settled, size=max(1, len(settled) // 12), replace=False)
    typo = rng.choice(march.index.difference(rebooked).difference(unsettled))
    corrected = np.sort(np.concatenate([rebooked, unsettled, [typo]]))
    for end in quarter_ends():
        rows = orders[(orders.order_date <= end) & (
            True if previous is None else orders.order_date > previous)].copy()
        if end == pd.Timestamp("2025-03-31"):
            rows.loc[rebooked, "channel"] = "Telefon"
            rows.loc[unsettled, "status"] = "open"
            rows.loc[unsettled, "confirmed_date"] = pd.NaT
            rows.loc[typo, "net_amount"] = round(rows.loc[typo, "net_amount"] * 10, 2)
        name = f"auftraege_{end:%Y-%m-%d}.csv"
        files[name] = ExportFile("erp_orders", name, ERP_FORMAT,
                                 _erp_layout(rng, old=previous is None, tree=tree), rows)
        previous = end
    files[CORRECTION_FILE] = ExportFile("erp_orders", CORRECTION_FILE, ERP_FORMAT,
                                        _erp_layout(rng, old=False, tree=tree),
                                        orders.loc[corrected])
    # A key that the correction file holds twice, differently: both rows are quarantined
    # and the order keeps the version of the quarterly export.
    twice = orders.loc[rng.choice(march.index.difference(corrected))].to_dict()
    for delta in (100.0, 250.0):
        files[CORRECTION_FILE].plant_bad(
            len(corrected) // 2, twice | {"net_amount": twice["net_amount"] + delta},
            [("order_id", "duplicate_key", None)])
    _plant_order_errors(files, orders)
    return [files[name] for name in sorted(files)]


def _plant_order_errors(files: dict[str, ExportFile], orders: pd.DataFrame) -> None:
    def like(month: str, order_id: str) -> dict:
        row = orders[orders.order_date.dt.strftime("%Y-%m") == month].iloc[7].to_dict()
        return row | {"order_id": order_id, "_currency_blank": False}

    files["auftraege_2025-03-31.csv"].plant_bad(
        1200, like("2025-02", "AU-0999001"), [("order_date", "unparsable_date", "31.02.2025")])
    files["auftraege_2025-06-30.csv"].plant_bad(
        400, like("2025-04", "AU-0999002"), [("org_unit", "unknown_org_unit", "Vertrieb Süd")])
    for amount in (1890.0, 1980.0):
        files["auftraege_2025-09-30.csv"].plant_bad(
            900, like("2025-08", "AU-0999003") | {"net_amount": amount},
            [("order_id", "duplicate_key", None)])
    files["auftraege_2025-12-31.csv"].plant_bad(
        2100, like("2025-12", "AU-0999004"), [("status", "invalid_status", "in Klärung")])
    files["auftraege_2026-03-31.csv"].plant_bad(
        50, like("2026-01", "AU-0999005"), [("currency", "non_eur_currency", "USD")])
    files["auftraege_2026-06-30.csv"].plant_bad(
        1500, like("2026-05", "AU-0999006"), [("net_amount", "unparsable_number", "12O,50")])
    files["auftraege_2026-09-30.csv"].plant_duplicate(640)


# ----------------------------------------------------------------------------- interactions

def build_interactions(rng: np.random.Generator, scale: float) -> tuple[pd.DataFrame, list[dict]]:
    parts, planted = [], []
    for unit, (base, share_start, share_end) in INTERACTION_UNITS.items():
        for index, month in enumerate(month_starts()):
            n, k = _cell_counts(rng, base, share_start, share_end, index, scale, None)
            digital = np.zeros(n, dtype=bool)
            digital[:k] = True
            days = _weekdays(month)
            seconds = rng.integers(7 * 3600, 19 * 3600, size=n)
            topics = np.array(TOPICS, dtype=object)[rng.integers(0, len(TOPICS), size=n)]
            parts.append(pd.DataFrame({
                "occurred_at": days[rng.integers(0, len(days), size=n)]
                + pd.to_timedelta(seconds, unit="s"),
                "customer_id": _customers(rng, unit, n),
                "org_unit_id": unit,
                "channel": np.where(digital, _pick(rng, DIGITAL_INTERACTION_CHANNELS, n),
                                    _pick(rng, MANUAL_INTERACTION_CHANNELS, n)),
                "direction": rng.choice(np.array(["inbound", "outbound", None], dtype=object),
                                        size=n, p=[.55, .4, .05]),
                "topic": topics,
            }))
            planted.append({"kpi_id": "digital_interaction_share", "month": month,
                            "org_unit_id": unit, "numerator": float(k),
                            "denominator": float(n), "value": k / n})
    interactions = pd.concat(parts, ignore_index=True).sort_values(
        ["occurred_at", "org_unit_id", "customer_id"], kind="stable")
    interactions["interaction_id"] = [f"INT-{5000001 + i}" for i in range(len(interactions))]
    return interactions.reset_index(drop=True), planted


def interaction_exports(interactions: pd.DataFrame, tree: OrgTree) -> list[ExportFile]:
    """Quarterly CRM exports (UTF-8, `,`, English headers); until mid-2025 with ISO `T` and
    seconds, later as `2025-09-30 14:05` (so those rows carry no seconds)."""
    files = []
    previous = None
    for index, end in enumerate(quarter_ends()):
        rows = interactions[(interactions.occurred_at < end + pd.Timedelta(days=1)) & (
            True if previous is None else interactions.occurred_at >= previous
            + pd.Timedelta(days=1))].copy()
        early = index < 3
        if not early:
            rows["occurred_at"] = rows.occurred_at.dt.floor("min")
        layout = [
            Column("Interaction ID" if early else "Activity ID", "interaction_id",
                   lambda r: f.text(r.interaction_id)),
            Column("Occurred At" if early else "Date", "occurred_at",
                   lambda r, e=early: f.iso_datetime(r.occurred_at, seconds=e,
                                                     sep="T" if e else " ")),
            Column("Customer ID", "customer_id", lambda r: f.text(r.customer_id)),
            Column("Org Unit" if early else "Department", "org_unit",
                   lambda r: f.text(r.org_unit_id.map(tree.roles))),
            Column("Channel", "channel", lambda r: f.text(r.channel)),
            Column("Direction", "direction", lambda r: f.text(r.direction)),
            Column("Topic", "topic", lambda r: f.text(r.topic)),
        ]
        files.append(ExportFile("crm_interactions", f"crm_activities_{end:%Y-%m-%d}.csv",
                                FileFormat(), layout, rows))
        previous = end
    template = interactions.iloc[11].to_dict()
    files[4].plant_bad(700, template | {"interaction_id": "INT-0999001"},
                       [("occurred_at", "unparsable_datetime", "2025-13-02 10:00")])
    files[6].plant_bad(300, template | {"interaction_id": "INT-0999002"},
                       [("org_unit", "unknown_org_unit", "VT-NORD")])
    files[7].plant_duplicate(128)
    return files


# ----------------------------------------------------------------------------- leads

def build_leads(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    parts = []
    for unit, base in LEAD_UNITS.items():
        for index, month in enumerate(month_starts()):
            n = max(1, round(base * scale * (1 + rng.normal(0, 0.1))))
            days = pd.date_range(month, month_end(month), freq="D")
            created = days[rng.integers(0, len(days), size=n)]
            p_won = 0.30 + 0.10 * index / 23
            outcome = rng.choice(["won", "lost", "open"], size=n, p=[p_won, 0.45, 0.55 - p_won])
            closed = created + pd.to_timedelta(rng.integers(10, 161, size=n), unit="D")
            parts.append(pd.DataFrame({
                "created_date": created, "org_unit_id": unit,
                "source_channel": _pick(rng, LEAD_SOURCES, n),
                "status": outcome, "closed_date": closed,
                "expected_value": np.round(rng.lognormal(np.log(25000), 0.7, size=n), -2),
            }))
    leads = pd.concat(parts, ignore_index=True).sort_values(
        ["created_date", "org_unit_id"], kind="stable").reset_index(drop=True)
    still_open = (leads.status == "open") | (leads.closed_date > END)
    leads.loc[still_open, "status"] = "open"
    leads["closed_date"] = leads.closed_date.where(~still_open)
    leads["expected_value"] = leads.expected_value.where(rng.random(len(leads)) >= 0.1)
    leads["lead_id"] = [f"L-{200001 + i}" for i in range(len(leads))]
    return leads


def lead_exports(leads: pd.DataFrame, tree: OrgTree) -> list[ExportFile]:
    """Quarterly CRM exports of leads created or closed in the quarter (a later export shows
    the lead's new status); the first one with German headers and status words."""
    files = []
    previous = None
    for index, end in enumerate(quarter_ends()):
        after = pd.Timestamp.min if previous is None else previous
        created = (leads.created_date > after) & (leads.created_date <= end)
        closed = (leads.closed_date > after) & (leads.closed_date <= end)
        rows = leads[created | closed].copy()
        later = rows.closed_date.isna() | (rows.closed_date > end)
        rows.loc[later, "status"] = "open"
        rows.loc[later, "closed_date"] = pd.NaT
        german = index == 0
        status = (lambda r: f.mapped(r.status, LEAD_STATUS_DE)) if german else (
            lambda r: f.text(r.status))
        layout = [
            Column("Lead-ID" if german else "Lead ID", "lead_id", lambda r: f.text(r.lead_id)),
            Column("Erstellt am" if german else "Created", "created_date",
                   lambda r: f.iso_date(r.created_date)),
            Column("Org-Einheit" if german else "Org Unit", "org_unit",
                   lambda r: f.text(r.org_unit_id.map(tree.roles))),
            Column("Leadquelle" if german else "Source", "source_channel",
                   lambda r: f.text(r.source_channel)),
            Column("Status", "status", status),
            Column("Abschlussdatum" if german else "Closed", "closed_date",
                   lambda r: f.iso_date(r.closed_date)),
            Column("Erwarteter Umsatz" if german else "Expected Value", "expected_value",
                   lambda r: f.en_number(r.expected_value)),
        ]
        files.append(ExportFile("crm_leads", f"leads_{end:%Y-%m-%d}.csv", FileFormat(),
                                layout, rows))
        previous = end
    template = leads.iloc[40].to_dict() | {"status": "open", "closed_date": pd.NaT}
    files[2].plant_bad(90, template | {"lead_id": "L-099001"},
                       [("status", "invalid_status", "postponed")])
    files[5].plant_bad(200, template | {"lead_id": "L-099002"},
                       [("org_unit", "unknown_org_unit", "VT-SUED")])
    files[7].plant_bad(10, template | {"lead_id": "L-099003", "status": "won"},
                       [("closed_date", "missing_required", "")])
    return files
