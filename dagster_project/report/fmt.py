"""German display of numbers, dates and statuses — the same rules as the dashboards'
`dashboards/components/format.js`, so the report and the e-mails show what the pages show.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
             "September", "Oktober", "November", "Dezember"]
MONTHS_SHORT_DE = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.",
                   "Okt.", "Nov.", "Dez."]
STATUS_LABELS = {"green": "grün", "amber": "gelb", "red": "rot", "no_target": "ohne Ziel"}
ACTION_LABELS = {
    "open": "offen", "planned": "geplant", "in_progress": "in Arbeit", "in progress": "in Arbeit",
    "done": "erledigt", "completed": "erledigt", "closed": "abgeschlossen",
    "cancelled": "abgebrochen", "blocked": "blockiert",
}
SUPPRESSED_TEXT = "unter Mindestgruppengröße"
MISSING = "–"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def num(x: float | None, decimals: int = 0) -> str:
    """`1.234`, `0,97`: German separators; like `Intl.NumberFormat`, the shortest decimal form
    of the double rounded half away from zero."""
    if _missing(x):
        return MISSING
    rounded = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def kpi_value(x: float | None, unit: str | None) -> str:
    """A KPI value in the KPI's unit (`marts.kpi_definitions.unit`)."""
    if _missing(x):
        return MISSING
    u = (unit or "").lower()
    if u in ("share", "fraction"):
        return f"{num(float(x) * 100, 1)}{NBSP}%"
    if u == "percent":
        return f"{num(x, 1)}{NBSP}%"
    if u == "days":
        return f"{num(x, 1)}{NBSP}Tage"
    if u in ("index", "score", "points"):
        return num(x, 1)
    return num(x, 2)


def kpi_delta(x: float | None, unit: str | None) -> str:
    """A change per month in the KPI's unit (shares in percentage points)."""
    if _missing(x):
        return MISSING
    v = float(x)
    if abs(v) < display_step(unit):
        v = 0.0  # too small to show: ±0, not "+0,00"
    sign = "+" if v > 0 else "−" if v < 0 else "±"
    u = (unit or "").lower()
    if u in ("share", "fraction"):
        return f"{sign}{num(abs(v) * 100, 1)}{NBSP}Pp."
    if u == "percent":
        return f"{sign}{num(abs(v), 1)}{NBSP}Pp."
    return f"{sign}{kpi_value(abs(v), unit)}"


def day(d: date | datetime | None) -> str:
    """`31.10.2026`"""
    return MISSING if d is None else f"{d.day:02d}.{d.month:02d}.{d.year}"


def day_time(d: datetime | None) -> str:
    """`22.11.2026, 06:15 Uhr`"""
    return MISSING if d is None else f"{day(d)}, {d:%H:%M}{NBSP}Uhr"


def month_short(d: date | None) -> str:
    """`Okt. 2026`"""
    return MISSING if d is None else f"{MONTHS_SHORT_DE[d.month - 1]} {d.year}"


def month_long(d: date | None) -> str:
    """`Oktober 2026`"""
    return MISSING if d is None else f"{MONTHS_DE[d.month - 1]} {d.year}"


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", "keine Daten")


def action_label(status: str | None) -> str:
    s = (status or "").strip()
    return ACTION_LABELS.get(s.lower(), s or MISSING)


def display_step(unit: str | None) -> float:
    """The smallest change per month the report (and the dashboards) show: one step of the
    last shown digit (0,1 Pp., 0,01, 0,1 days or points)."""
    u = (unit or "").lower()
    if u in ("share", "fraction"):
        return 0.0005
    if u == "ratio":
        return 0.005
    return 0.05


def trend(slope: float | None, direction: str | None,
          unit: str | None = None) -> tuple[str, str, str]:
    """(arrow, tone, label): which way the KPI moves and whether that is good for it; a
    change too small to show in the KPI's unit (as the dashboards decide it) is none."""
    if _missing(slope):
        return MISSING, "none", "zu wenige Werte"
    s = float(slope)
    if s == 0 or (unit is not None and abs(s) < display_step(unit)):
        return "→", "flat", "gleichbleibend"
    rising = s > 0
    good = (not rising) if direction == "down" else rising
    label = f"{'steigend' if rising else 'fallend'} ({'in' if good else 'gegen'} Zielrichtung)"
    return ("↗" if rising else "↘"), ("good" if good else "bad"), label
