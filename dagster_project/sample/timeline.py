"""The sample company's calendar: which months hold data and what "today" is.

Every date the generator writes is derived from these constants (never from the clock),
so that the same seed gives byte-identical files on any day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

DATA_START = dt.date(2024, 11, 1)
DATA_END = dt.date(2026, 10, 31)
# The day the sample pretends to be generated; after DATA_END, as in the team brief.
TODAY = dt.date(2026, 11, 22)
# Fixed timestamp for file metadata (xlsx properties, zip entries).
FILE_TIMESTAMP = dt.datetime(2026, 11, 2, 6, 30, 0)


def month_starts(start: dt.date = DATA_START, end: dt.date = DATA_END) -> list[pd.Timestamp]:
    """First days of every month from `start` to `end` (inclusive)."""
    return list(pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="MS"))


def month_end(month: pd.Timestamp) -> pd.Timestamp:
    """Last day of the month that `month` falls in."""
    return (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).normalize()


def quarter_ends(start: dt.date = DATA_START, end: dt.date = DATA_END) -> list[pd.Timestamp]:
    """Quarter-end export dates covering the data, the last one cut at `end`."""
    ends = [d for d in pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="QE")]
    if not ends or ends[-1] < pd.Timestamp(end):
        ends.append(pd.Timestamp(end))
    return ends


def quarter_label(ts: pd.Timestamp) -> str:
    """Calendar quarter written as the raw layer's default wave: `2025-Q2`."""
    return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"
