"""What the dashboards should show for a published value: German formats, computed in Python.

An independent re-statement of `dashboards/components/format.js`, so that the browser test
compares the page with the database, not the page with itself. Rounding follows
`Intl.NumberFormat`: the shortest decimal form of the double, rounded half away from zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
SUPPRESSED_TEXT = "unter Mindestgruppengröße"


def num(x: float | None, decimals: int = 0) -> str:
    """`1.234`, `0,97`."""
    if x is None:
        return "–"
    rounded = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # Intl shows -0,0 as "-0,0"; none of our values is that close
    text = f"{rounded:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def kpi_value(x: float | None, unit: str) -> str:
    """A KPI value in its unit, as the cockpit and the KPI page show it."""
    if x is None:
        return "–"
    unit = (unit or "").lower()
    if unit in ("share", "fraction"):
        return f"{num(float(x) * 100, 1)}{NBSP}%"
    if unit == "percent":
        return f"{num(x, 1)}{NBSP}%"
    if unit == "days":
        return f"{num(x, 1)}{NBSP}Tage"
    if unit in ("index", "score", "points"):
        return num(x, 1)
    if unit == "ratio":
        return num(x, 2)
    return num(x, 2)


def date(d: dt.date | dt.datetime | None) -> str:
    """`31.10.2026`."""
    return "–" if d is None else d.strftime("%d.%m.%Y")


MONTHS = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
          "Dez."]


def month(d: dt.date | None) -> str:
    """`Okt. 2026` (as the browser writes a month in German)."""
    return "–" if d is None else f"{MONTHS[d.month - 1]} {d.year}"


def date_time(ts: dt.datetime | None) -> str:
    """`22.11.2026, 06:15 Uhr`."""
    return "–" if ts is None else f"{ts:%d.%m.%Y, %H:%M}{NBSP}Uhr"


def same_text(shown: str | None, expected: str) -> bool:
    """Equal up to the kind of space (the browser may turn no-break spaces into spaces)."""
    return " ".join((shown or "").replace(NBSP, " ").split()) == " ".join(
        expected.replace(NBSP, " ").split()
    )


def below_note(red: int | None, amber: int | None) -> str:
    """`2 rot, 1 gelb` for the units below that are off track ('' when none)."""
    parts = []
    if red:
        parts.append(f"{num(red)} rot")
    if amber:
        parts.append(f"{num(amber)} gelb")
    return ", ".join(parts)


# What a KPI's denominator counts (dative plural), and KPIs whose denominator counts the
# observations behind a median or a mean; shown up to SMALL_COUNT of them.
COUNTED = {
    "milestone_on_time_rate": "Meilensteinen", "lead_win_rate": "abgeschlossenen Leads",
    "digital_order_share": "Aufträgen", "digital_interaction_share": "Kontakten",
    "repeat_customer_rate": "Kunden", "tool_adoption_rate": "Lizenzen",
    "training_coverage": "Beschäftigten", "acceptance_rate": "Antworten",
}
OBSERVED = {"order_lead_time_days": "Aufträgen", "digital_maturity_index": "Antworten",
            "enps": "Antworten"}
SMALL_COUNT = 30


def count_note(kpi_id: str, numerator: float | None, denominator: float | None) -> str:
    """`3 von 4 Meilensteinen` / `aus 12 Antworten` where the count behind a value is small."""
    if denominator is None or denominator > SMALL_COUNT:
        return ""
    if kpi_id in COUNTED and numerator is not None:
        return f"{num(numerator)} von {num(denominator)} {COUNTED[kpi_id]}"
    if kpi_id in OBSERVED:
        return f"aus {num(denominator)} {OBSERVED[kpi_id]}"
    return ""
