"""The gate's thresholds, read from `raw.settings` (the optional `config/settings.csv`).

Analysts tune the gate in their own config file, not in code; a value that cannot be read
is itself reported, because a typo must not silently switch a rule off.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dagster_project.core.db import table_exists

MAX_QUARANTINE_SHARE = "max_quarantine_share"
MAX_FILE_QUARANTINE_SHARE = "max_file_quarantine_share"
FRESHNESS_DAYS = "freshness_days"
DEFAULT_MAX_QUARANTINE_SHARE = 0.01
# A single file with more than half of its rows quarantined blocks, however small it is
# beside its source: a new export that is mostly wrong must not publish behind the 1 %.
DEFAULT_MAX_FILE_QUARANTINE_SHARE = 0.5
DEFAULT_FRESHNESS_DAYS = 45
# Surveys come in waves, a few times a year: 45 days without a new wave is normal.
DEFAULT_FRESHNESS_DAYS_BY_SOURCE = {"survey_responses": 200}


class SettingError(ValueError):
    """A value in config/settings.csv that cannot be used."""


def read_settings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """`raw.settings` as a dict (keys lower-case, trimmed); empty when the table is absent."""
    if not table_exists(con, "raw.settings"):
        return {}
    rows = con.execute("select key, value from raw.settings").fetchall()
    return {str(k).strip().lower(): ("" if v is None else str(v).strip()) for k, v in rows if k}


def parse_share(text: str, key: str) -> float:
    """`0.01`, `0,01`, `1 %`, `1%` → 0.01; anything else raises a `SettingError`."""
    raw = text.replace(" ", "").replace(",", ".")
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError as e:
        raise SettingError(
            f"config/settings.csv: {key} = {text!r} is not a share; write e.g. 0.01 or 1 %"
        ) from e
    if not 0 <= value <= 1:
        raise SettingError(
            f"config/settings.csv: {key} = {text!r} must lie between 0 and 1 (0 % and 100 %)"
        )
    return value


def parse_days(text: str, key: str) -> int:
    try:
        value = int(text.replace(" ", ""))
    except ValueError as e:
        raise SettingError(
            f"config/settings.csv: {key} = {text!r} is not a whole number of days"
        ) from e
    if value < 1:
        raise SettingError(f"config/settings.csv: {key} = {text!r} must be at least 1 day")
    return value


@dataclass(frozen=True)
class GateSettings:
    max_quarantine_share: float
    freshness_days: dict[str, int]
    default_freshness_days: int
    max_file_quarantine_share: float = DEFAULT_MAX_FILE_QUARANTINE_SHARE

    def freshness_for(self, source: str) -> int:
        return self.freshness_days.get(source, self.default_freshness_days)


def gate_settings(settings: dict[str, str]) -> GateSettings:
    """Thresholds from the settings dict; `freshness_days.<source>` overrides per source."""
    share = settings.get(MAX_QUARANTINE_SHARE)
    file_share = settings.get(MAX_FILE_QUARANTINE_SHARE)
    days = settings.get(FRESHNESS_DAYS)
    default_days = parse_days(days, FRESHNESS_DAYS) if days else DEFAULT_FRESHNESS_DAYS
    per_source = dict(DEFAULT_FRESHNESS_DAYS_BY_SOURCE) if not days else {}
    for key, value in settings.items():
        if key.startswith(FRESHNESS_DAYS + ".") and value:
            per_source[key.split(".", 1)[1]] = parse_days(value, key)
    return GateSettings(
        max_quarantine_share=parse_share(share, MAX_QUARANTINE_SHARE)
        if share
        else DEFAULT_MAX_QUARANTINE_SHARE,
        freshness_days=per_source,
        default_freshness_days=default_days,
        max_file_quarantine_share=parse_share(file_share, MAX_FILE_QUARANTINE_SHARE)
        if file_share
        else DEFAULT_MAX_FILE_QUARANTINE_SHARE,
    )
