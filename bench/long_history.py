"""The long-history shape: the sample company plus one ERP export of many orders spread over
4.5 years, tens of thousands of customers, units named by name (not id), Windows-1252.

Unlike the bulk exports of `--scale` (a month per file, three customer pools of 260–650, the
units mostly by id, `€` in remarks so that DuckDB cannot read the file as Latin-1), this is
one big file as an ERP's full extract writes it: every order day of 4.5 years, customers
drawn skewed from `customers` (a few buy often, most seldom), the unit written by its name
from `config/org_units.csv` of the sources folder, German umlauts but no byte in 0x80–0x9F
(a Windows-1252 file that is Latin-1: read without a transcoding copy).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from dagster_project.sample.bulk import _connect, _copy, _sql_list, _sql_str, _weighted_pick
from dagster_project.sample.sales import (
    DIGITAL_ORDER_CHANNELS,
    MANUAL_ORDER_CHANNELS,
    ORDER_UNITS,
)
from dagster_project.sample.timeline import DATA_END

DAYS = 1640  # 4.5 years of order days, ending with the sample's last day
REMARKS = ["Teillieferung; Rest folgt KW 12", "Kunde bittet um Rückruf\nvor Auslieferung",
           'Preis lt. Rahmenvertrag "RV-2025"', "Größere Menge, Lieferung über Außenlager"]
FILE_NAME = "auftraege_gesamt_langhistorie.csv"
DAILY_FILE_NAME = "auftraege_{day:%Y-%m-%d}_tag_langhistorie.csv"


def unit_names(sources: Path) -> dict[str, str]:
    """The order units' names as `config/org_units.csv` of the sources folder has them."""
    with (sources / "config" / "org_units.csv").open(encoding="utf-8-sig", newline="") as fh:
        text = fh.read()
    delimiter = max(";,\t|", key=text.splitlines()[0].count)
    rows = list(csv.DictReader(text.splitlines(), delimiter=delimiter))
    names = {row["org_unit_id"]: row["name"] for row in rows}
    return {unit: names[unit] for unit in ORDER_UNITS}


def _select(names: dict[str, str], orders: int, customers: int, first_id: int,
            day: dt.date | None = None) -> str:
    units = list(names)
    weights = {unit: float(ORDER_UNITS[unit][0]) for unit in units}
    unit = _weighted_pick(weights, "u(r, 1)")
    digital = {u: _weighted_pick(w, "u(r, 6)") for u, w in DIGITAL_ORDER_CHANNELS.items()}
    manual = {u: _weighted_pick(w, "u(r, 6)") for u, w in MANUAL_ORDER_CHANNELS.items()}

    def per_unit(values: dict[str, str]) -> str:
        return ("(case unit " + " ".join(f"when {_sql_str(u)} then {v}"
                                         for u, v in values.items()) + " end)")

    order_date = (f"date '{day:%Y-%m-%d}'" if day else
                  f"date '{DATA_END:%Y-%m-%d}' - cast(floor(u(r, 2) * {DAYS}) as integer)")
    return f"""
        with drawn as (
            select r, {unit} as unit, {order_date} as order_date,
                   u(r, 4) < 0.2 + 0.4 * u(r, 2) as is_digital
            from range({first_id}, {first_id + orders}) t(r))
        select 'AU-' || r as "Auftragsnummer",
               strftime(order_date, '%d.%m.%Y') as "Auftragsdatum",
               'K' || (100000 + cast(floor(pow(u(r, 5), 2.5) * {customers}) as integer))
                   as "Kundennummer",
               {per_unit({u: _sql_str(n) for u, n in names.items()})} as "Vertriebsbereich",
               case when is_digital then {per_unit(digital)} else {per_unit(manual)} end
                   as "Bestellkanal",
               case when u(r, 15) < 0.04 then {_sql_list(REMARKS)}[1 + cast(floor(
                   u(r, 16) * {len(REMARKS)}) as integer)] end as "Bemerkung",
               de_num(round(lognormal(1500, 0.8, u(r, 12), u(r, 13)), 2)) as "Nettobetrag",
               'EUR' as "Währung",
               case when u(r, 3) < 0.03 then 'storniert' when u(r, 8) < 0.9 then 'fakturiert'
                    else 'geliefert' end as "Auftragsstatus",
               strftime(order_date + 1 + cast(floor(u(r, 9) * 5) as integer), '%d.%m.%Y')
                   as "Bestätigungsdatum"
        from drawn order by order_date, r"""


def write_long_history(sources: Path, orders: int, customers: int = 40_000,
                       seed: int = 42, by_id: bool = False) -> int:
    """Add the one long-history ERP export to a sources folder holding the sample (`by_id`:
    the units written by id instead, to measure what looking names up costs)."""
    names = unit_names(sources)
    if by_id:
        names = {unit: unit for unit in names}
    con = _connect(seed)
    try:
        return _copy(con, _select(names, orders, customers, 7_000_000_000),
                     sources / "erp_orders" / FILE_NAME, ";", "cp1252")
    finally:
        con.close()


def write_long_history_day(sources: Path, orders: int, day: dt.date,
                           customers: int = 40_000, seed: int = 43) -> str:
    """One daily export after the long history: `orders` orders dated `day`."""
    name = DAILY_FILE_NAME.format(day=day)
    con = _connect(seed)
    try:
        _copy(con, _select(unit_names(sources), orders, customers, 8_000_000_000, day),
              sources / "erp_orders" / name, ";", "cp1252")
    finally:
        con.close()
    return name
