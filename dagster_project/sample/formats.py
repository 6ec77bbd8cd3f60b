"""How values look in the exports: German and English dates, numbers, percentages.

Each renderer turns one typed column into the strings (or, for xlsx, the cell values) a
real system would write. Missing values become `missing` (empty by default; exports also
write `-`, `k.A.`, `NULL`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd


def _is_missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def de_date(values: Iterable, two_digit_year: bool = False, missing: str = "") -> list[str]:
    """`31.12.2025`, or `31.12.25` with a two-digit year."""
    fmt = "%d.%m.%y" if two_digit_year else "%d.%m.%Y"
    return [missing if _is_missing(v) else pd.Timestamp(v).strftime(fmt) for v in values]


def iso_date(values: Iterable, missing: str = "") -> list[str]:
    """`2025-12-31`."""
    return [missing if _is_missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]


def iso_datetime(values: Iterable, seconds: bool, sep: str = " ") -> list[str]:
    """`2025-12-31 14:05` or `2025-12-31T14:05:33`."""
    fmt = f"%Y-%m-%d{sep}%H:%M" + (":%S" if seconds else "")
    return ["" if _is_missing(v) else pd.Timestamp(v).strftime(fmt) for v in values]


def de_datetime(values: Iterable) -> list[str]:
    """`31.12.2025 14:05`."""
    return ["" if _is_missing(v) else pd.Timestamp(v).strftime("%d.%m.%Y %H:%M") for v in values]


def cell_date(values: Iterable) -> list:
    """A real date cell for xlsx (openpyxl writes `datetime.date` as an Excel date)."""
    return [None if _is_missing(v) else pd.Timestamp(v).date() for v in values]


def de_number(values: Iterable, decimals: int = 2, thousands: bool = True,
              missing: str = "") -> list[str]:
    """German number: `1.234,50` (or `1234,50` without thousands separators)."""
    out = []
    for v in values:
        if _is_missing(v):
            out.append(missing)
            continue
        text = f"{float(v):,.{decimals}f}" if thousands else f"{float(v):.{decimals}f}"
        out.append(text.replace(",", "_").replace(".", ",").replace("_", "."))
    return out


def en_number(values: Iterable, decimals: int = 2, thousands: bool = True,
              missing: str = "") -> list[str]:
    """English number: `1,234.50` (or `1234.50`)."""
    fmt = f"{{:,.{decimals}f}}" if thousands else f"{{:.{decimals}f}}"
    return [missing if _is_missing(v) else fmt.format(float(v)) for v in values]


def percent(values: Iterable, style: str) -> list[str]:
    """A 0..100 percentage as `45 %` (style `space`), `45%` (`tight`) or `45,0` (`comma`)."""
    out = []
    for v in values:
        number = float(v)
        if style == "comma":
            out.append(f"{number:.1f}".replace(".", ","))
            continue
        text = f"{number:g}".replace(".", ",")
        out.append(f"{text} %" if style == "space" else f"{text}%")
    return out


def text(values: Iterable, missing: str = "") -> list[str]:
    """Text as written; missing values as `missing`."""
    return [missing if _is_missing(v) else str(v) for v in values]


def integer(values: Iterable, missing: str = "") -> list[str]:
    return [missing if _is_missing(v) else str(int(v)) for v in values]


def mapped(values: Iterable, mapping: dict[str, str]) -> list[str]:
    """Enumeration values translated for export (e.g. `cancelled` -> `storniert`)."""
    return ["" if _is_missing(v) else mapping[str(v)] for v in values]


def as_date(value) -> dt.date:
    return pd.Timestamp(value).date()
