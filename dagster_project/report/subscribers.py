"""Who gets which alert: `config/alerts.csv` of the sources folder.

Columns (header names, any order; `;` or `,` between columns, as the other config files):

| column | meaning |
|---|---|
| `address` | an e-mail address |
| `org_unit_id` | the unit whose subtree the address follows (empty: the whole company) |
| `events` | `red`, `blocked`, `stale`, separated by `;` (empty: all three) |
| `attach_report` (optional) | `ja`/`nein` (`yes`/`no`, `1`/`0`): attach the monthly report (PDF) |

In a file with `;` between columns the events may be written as they are (`red;stale`):
a row with more cells than the header has them in its events column.
A row that cannot be used is reported with file, row, column, value and the fix, and left
out; the other rows still get their alerts. An address on several rows gets one e-mail.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

ALERTS_FILE = "alerts.csv"
EVENTS = ("red", "blocked", "stale")
REQUIRED = ("address", "org_unit_id", "events")
OPTIONAL = ("attach_report",)
YES = {"ja", "j", "yes", "y", "1", "true", "wahr", "x"}
NO = {"nein", "n", "no", "0", "false", "falsch", ""}
ADDRESS = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+")


@dataclass(frozen=True)
class Subscription:
    address: str
    org_unit_id: str | None  # None: the whole company
    events: frozenset[str]
    attach_report: bool
    row: int


def alerts_path(sources_dir: Path) -> Path:
    return Path(sources_dir) / "config" / ALERTS_FILE


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_subscriptions(path: Path) -> tuple[list[Subscription], list[str]]:
    """(usable rows, one message per problem); no file: ([], [])."""
    if not path.is_file():
        return [], []
    name = f"config/{path.name}"
    text = _text(path)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows or not any(c.strip() for c in rows[0]):
        return [], [f"{name}: the file is empty — add a header row "
                    f"`{delimiter.join(REQUIRED)}` and one row per address"]
    header = [c.strip().lower().lstrip("\ufeff") for c in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"{name} row 1: column(s) {', '.join(missing)} missing (header: "
                    f"{', '.join(header)}) — the columns are {', '.join(REQUIRED)} "
                    f"and optionally {', '.join(OPTIONAL)}"]
    col = {c: header.index(c) for c in header if c}
    subs: list[Subscription] = []
    problems: list[str] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):  # `red;stale` unquoted in a file with `;` columns
            e, extra = col["events"], len(cells) - len(header)
            cells = cells[:e] + [";".join(cells[e:e + extra + 1])] + cells[e + extra + 1:]

        def cell(column: str, cells: list[str] = cells) -> str:
            i = col.get(column)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        where = f"{name} row {number}"
        address = cell("address")
        if not ADDRESS.fullmatch(address):
            problems.append(f"{where}, column address: {address!r} is not an e-mail address — "
                            "write one address per row, e.g. leitung@firma.de")
            continue
        events = {e.strip().lower() for e in re.split(r"[;,|]", cell("events")) if e.strip()}
        unknown = sorted(events - set(EVENTS))
        if unknown:
            problems.append(f"{where}, column events: {', '.join(map(repr, unknown))} is not an "
                            f"event — use {', '.join(EVENTS)} separated by ';'")
            continue
        attach = cell("attach_report").lower()
        if attach not in YES | NO:
            problems.append(f"{where}, column attach_report: {attach!r} — write ja or nein")
            continue
        subs.append(Subscription(address, cell("org_unit_id") or None,
                                 frozenset(events or EVENTS), attach in YES, number))
    return subs, problems
