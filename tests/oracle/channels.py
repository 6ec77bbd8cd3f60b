"""Which channel values are digital: the built-in map of docs/sources.md plus `raw.channels`."""

from __future__ import annotations

import pandas as pd

DIGITAL = ["Webshop", "Onlineshop", "Online-Shop", "Shop", "Kundenportal", "Portal", "EDI",
           "API", "Schnittstelle", "Marktplatz", "Marketplace"]
DIGITAL_INTERACTIONS_ONLY = ["Chat", "Webchat", "Videocall", "Video", "Teams", "Self-Service",
                             "App"]
NOT_DIGITAL = ["Telefon", "Phone", "Fax", "E-Mail", "Email", "Mail", "Brief", "Post", "Letter",
               "Außendienst", "Vertreter", "Field Sales", "Besuch", "Visit", "Messe",
               "Trade Fair", "Schalter", "Counter"]


def channel_key(value: str) -> str:
    """Matching ignores case, spaces and hyphens."""
    return str(value).strip().lower().replace(" ", "").replace("-", "")


class ChannelMap:
    """Looks up whether a (source, raw channel value) is digital.

    `config/channels.csv` "extends and overrides" the built-in map: any config row beats the
    built-in one; within the config, a row for the exact source beats one for every source
    (`*` or empty).
    """

    def __init__(self, channels: pd.DataFrame | None) -> None:
        self._builtin: dict[tuple[str, str], bool] = {}
        for source in ("erp_orders", "crm_interactions", "crm_leads"):
            for value in DIGITAL:
                self._builtin[(source, channel_key(value))] = True
            for value in NOT_DIGITAL:
                self._builtin[(source, channel_key(value))] = False
        for value in DIGITAL_INTERACTIONS_ONLY:
            self._builtin[("crm_interactions", channel_key(value))] = True
        self._config: dict[tuple[str, str], bool] = {}
        self._config_any_source: dict[str, bool] = {}
        for row in (channels if channels is not None else pd.DataFrame()).itertuples():
            source = "" if pd.isna(row.source) else str(row.source).strip().lower()
            if source in ("", "*", "all", "alle"):
                self._config_any_source[channel_key(row.raw_value)] = bool(row.is_digital)
            else:
                self._config[(source, channel_key(row.raw_value))] = bool(row.is_digital)

    def _lookup(self, source: str, key: str) -> bool | None:
        for table, lookup in ((self._config, (source, key)),
                              (self._config_any_source, key),
                              (self._builtin, (source, key))):
            if lookup in table:
                return table[lookup]
        return None

    def is_digital(self, source: str, values: pd.Series) -> pd.Series:
        """True/False per value; an unmapped value is an error (the gate would block)."""
        out, unknown = [], set()
        for raw in values:
            digital = self._lookup(source, channel_key(raw))
            if digital is None:
                unknown.add(raw)
            out.append(bool(digital))
        if unknown:
            raise ValueError(f"{source}: channel values not in the channel map: {sorted(unknown)}")
        return pd.Series(out, index=values.index, dtype=bool)
