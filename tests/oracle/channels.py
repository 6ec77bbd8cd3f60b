"""Which channel values are digital: the built-in map of sources.md plus `raw.channels`."""

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
    """Looks up whether a (source, raw channel value) is digital."""

    def __init__(self, channels: pd.DataFrame | None) -> None:
        self._digital: dict[tuple[str, str], bool] = {}
        for source in ("erp_orders", "crm_interactions", "crm_leads"):
            for value in DIGITAL:
                self._digital[(source, channel_key(value))] = True
            for value in NOT_DIGITAL:
                self._digital[(source, channel_key(value))] = False
        for value in DIGITAL_INTERACTIONS_ONLY:
            self._digital[("crm_interactions", channel_key(value))] = True
        self._any_source: dict[str, bool] = {}
        for row in (channels if channels is not None else pd.DataFrame()).itertuples():
            source = "" if pd.isna(row.source) else str(row.source).strip()
            if source in ("", "*"):
                self._any_source[channel_key(row.raw_value)] = bool(row.is_digital)
            else:
                self._digital[(source, channel_key(row.raw_value))] = bool(row.is_digital)

    def is_digital(self, source: str, values: pd.Series) -> pd.Series:
        """True/False per value; an unmapped value is an error (the gate would block)."""
        keys = values.map(channel_key)
        out, unknown = [], set()
        for key, raw in zip(keys, values, strict=True):
            if (source, key) in self._digital:
                out.append(self._digital[(source, key)])
            elif key in self._any_source:
                out.append(self._any_source[key])
            else:
                unknown.add(raw)
                out.append(False)
        if unknown:
            raise ValueError(f"{source}: channel values not in the channel map: {sorted(unknown)}")
        return pd.Series(out, index=values.index, dtype=bool)
