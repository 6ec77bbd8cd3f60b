"""Alerts after each run: what changed, to whom, and that nothing goes out twice.

After every run of the pipeline (`leitstand run` calls `evaluate_run`; for runs that Dagster
launches — the schedule, the sensor, the UI — the run-status sensors of `defs/alerts.py` do)
three kinds of event are looked for:

- `red` — a (KPI, unit) whose status in `marts.kpi_status` turned red or amber since the
  previous publication (green / no target / no row before → amber or red, amber → red).
  The first publication seen sends none: there is nothing to compare with. Only cells
  whose value is published are read, so a suppressed cell is never named;
- `blocked` — the run published nothing: what blocked it (the gate's blocking checks from
  the run report, or the failed steps) and how to fix it. The same reasons again (the next
  scheduled run on the same input) send nothing new; after a publication they would;
- `stale` — a source whose `freshness` check failed in this run and not in the one before.

Each event is addressed to the subscribers of `config/alerts.csv` (a unit's subscribers get
its subtree) and kept in `<data dir>/alerts/state.json` with the addresses still to reach;
each address gets one e-mail per run with all its events. An address is crossed off once
its e-mail is delivered (or written to the outbox); a failing mail server leaves it on the
list — logged, retried after the next run — and never fails the run. The state holds the
statuses of the last publication seen (to compare with), the last blocking reasons and the
stale sources; everything in it is published, and it is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from dagster_project.core.private import owner_only_files
from dagster_project.core.settings import Settings
from dagster_project.gate.results import GateResult
from dagster_project.gate.store import read_run_report, report_path
from dagster_project.report import fmt
from dagster_project.report.data import ReportError
from dagster_project.report.mail import (
    MailSettingError,
    Section,
    compose,
    send,
    smtp_settings,
    write_outbox,
)
from dagster_project.report.pdf import write_report
from dagster_project.report.subscribers import Subscription, alerts_path, read_subscriptions

log = logging.getLogger("leitstand.alerts")

STATE_VERSION = 1
FRESHNESS_CHECK = "freshness"
WORSE = {"amber": 1, "red": 2}
KIND_ORDER = {"blocked": 0, "red": 1, "stale": 2}


def alerts_dir(settings: Settings) -> Path:
    return settings.data_dir / "alerts"


def outbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "outbox"


@dataclass
class Event:
    key: str
    kind: str  # red | blocked | stale
    run_id: str
    created_at: str
    org_unit_id: str | None = None  # the cell's unit (red events)
    data: dict = field(default_factory=dict)
    to: list[str] = field(default_factory=list)  # addresses still to reach

    def to_dict(self) -> dict:
        return self.__dict__.copy()

    @classmethod
    def from_dict(cls, d: dict) -> Event:
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


@dataclass
class AlertOutcome:
    events: list[Event] = field(default_factory=list)  # new in this evaluation
    delivered: list[str] = field(default_factory=list)  # addresses reached
    failed: list[str] = field(default_factory=list)  # "address: error"
    pending: int = 0  # e-mails still to deliver (retried after the next run)
    mode: str = ""  # smtp | outbox
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not (self.events or self.delivered or self.failed or self.pending or self.problems):
            return "alerts: nothing new"
        where = {"smtp": "sent", "outbox": "written to the outbox"}.get(self.mode, "delivered")
        parts = [f"{len(self.events)} new event(s)"]
        if self.delivered:
            parts.append(f"{len(self.delivered)} e-mail(s) {where}")
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({self.failed[0]}) — retried after the "
                         "next run")
        out = "alerts: " + ", ".join(parts)
        return "\n".join([out, *(f"  alerts: {p}" for p in self.problems)])


# --- state ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(settings: Settings) -> Iterator[Path]:
    folder = alerts_dir(settings)
    # what the alerts keep (state, lock, outbox) is the data dir's: owner-only, as all in it
    with owner_only_files():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        with (folder / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield folder / "state.json"
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def load_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("version") == STATE_VERSION:
            return state
        log.warning("%s: unknown state version, starting afresh", path)
    except FileNotFoundError:
        pass
    except ValueError as e:
        log.warning("%s is not readable (%s): starting afresh", path, e)
    return {"version": STATE_VERSION}


def save_state(path: Path, state: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False, indent=1, default=str)
    os.replace(tmp, path)


# --- what the publication says -------------------------------------------------------------


@dataclass
class Published:
    run_ids: set[str]
    run_id: str | None
    published_at: datetime | None
    cells: dict[str, dict]  # "kpi\tunit" -> status row (published cells only)
    units: dict[str, dict]  # org_unit_id -> {name, path}


def read_published(db: Path) -> Published | None:
    if not db.exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        pubs = con.execute("select run_id, published_at from meta.publication "
                           "order by published_at desc").fetchall()
        cur = con.execute("""
            select s.kpi_id, s.org_unit_id, s.status, s.month, s.value, s.expected_value,
                   s.target_value, s.target_date, d.name_de, d.unit, u.name as unit_name
            from marts.kpi_status s
            join marts.kpi_monthly m on m.kpi_id = s.kpi_id and m.org_unit_id = s.org_unit_id
                and m.month = s.month and not m.suppressed and m.value is not null
            join marts.kpi_definitions d on d.kpi_id = s.kpi_id
            join marts.org_units u on u.org_unit_id = s.org_unit_id""")
        names = [d[0] for d in cur.description]
        cells = {}
        for row in cur.fetchall():
            r = dict(zip(names, row, strict=True))
            cells[f"{r['kpi_id']}\t{r['org_unit_id']}"] = r
        units = {u: {"name": n, "path": p} for u, n, p in con.execute(
            "select org_unit_id, name, path from marts.org_units").fetchall()}
    return Published({r for r, _ in pubs}, pubs[0][0] if pubs else None,
                     pubs[0][1] if pubs else None, cells, units)


# --- events --------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def status_events(pub: Published, state: dict, run_id: str) -> list[Event]:
    """Cells that turned amber or red since the snapshot in `state`; updates the snapshot."""
    snap = state.get("snapshot")
    events = []
    if snap and snap.get("run_id") != pub.run_id:
        before = snap.get("cells", {})
        for key, r in sorted(pub.cells.items()):
            now, was = r["status"], before.get(key)
            if now in WORSE and WORSE[now] > WORSE.get(was, 0):
                events.append(Event(
                    key=f"red:{key}:{pub.run_id}", kind="red", run_id=run_id,
                    created_at=_now(), org_unit_id=r["org_unit_id"],
                    data={"kpi_id": r["kpi_id"], "kpi": r["name_de"], "unit": r["unit"],
                          "org_unit": r["unit_name"], "status": now, "before": was,
                          "month": r["month"], "value": r["value"],
                          "expected": r["expected_value"], "target": r["target_value"],
                          "target_date": r["target_date"]}))
    if not snap or snap.get("run_id") != pub.run_id:
        state["snapshot"] = {"run_id": pub.run_id,
                             "cells": {k: r["status"] for k, r in pub.cells.items()}}
    return events


def blocking_reasons(results: list[GateResult], failures: list[str]) -> list[str]:
    lines = [f"[{r.source_or_table} · {r.check_name}] {r.message}"
             for r in sorted(results, key=lambda r: (r.source_or_table, r.check_name))
             if r.blocks]
    return lines + [f"Schritt {f}" for f in failures]


def blocked_event(run_id: str, reasons: list[str], results: list[GateResult], state: dict,
                  settings: Settings, last_pub: datetime | None) -> list[Event]:
    """One event when this run's blocking reasons differ from the last blocked run's."""
    keys = sorted({f"{r.source_or_table}|{r.check_name}" for r in results if r.blocks}) or \
        sorted({r.split(":", 1)[0] for r in reasons}) or ["unknown"]
    fingerprint = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
    if state.get("blocked") == fingerprint:
        return []
    state["blocked"] = fingerprint
    return [Event(key=f"blocked:{fingerprint}:{run_id}", kind="blocked", run_id=run_id,
                  created_at=_now(),
                  data={"reasons": reasons or ["der Lauf endete ohne Ergebnis der Prüfungen"],
                        "report": str(report_path(settings.runs_dir, run_id)),
                        "last_publication": last_pub})]


def stale_events(run_id: str, results: list[GateResult], state: dict) -> list[Event]:
    fresh = [r for r in results if r.check_name == FRESHNESS_CHECK]
    if not fresh:
        return []  # the run ended before the freshness check: nothing known
    stale = {r.source_or_table: r for r in fresh if not r.passed}
    before = set(state.get("stale", []))
    state["stale"] = sorted(stale)
    return [Event(key=f"stale:{s}:{run_id}", kind="stale", run_id=run_id, created_at=_now(),
                  data={"source": s, "observed": stale[s].observed or stale[s].message,
                        "threshold": stale[s].threshold})
            for s in sorted(set(stale) - before)]


# --- who gets what -------------------------------------------------------------------------


def _in_subtree(units: dict[str, dict], unit: str | None, sub_unit: str | None) -> bool:
    if sub_unit is None:
        return True
    if unit is None or unit not in units or sub_unit not in units:
        return False
    top, path = units[sub_unit]["path"], units[unit]["path"]
    return path == top or path.startswith(top + "/")


def resolve_subscriptions(subs: list[Subscription], units: dict[str, dict],
                          file: str) -> tuple[list[Subscription], list[str]]:
    """Org unit ids matched case-insensitively against the published org tree."""
    by_lower = {u.strip().lower(): u for u in units}
    ok, problems = [], []
    for s in subs:
        if s.org_unit_id is None:
            ok.append(s)
            continue
        unit = by_lower.get(s.org_unit_id.strip().lower())
        if unit is None and units:
            problems.append(f"{file} row {s.row}, column org_unit_id: {s.org_unit_id!r} is not "
                            f"an org unit of the publication — use an id of org_units.csv, "
                            f"or leave it empty for the whole company")
            continue
        ok.append(Subscription(s.address, unit or s.org_unit_id, s.events, s.attach_report,
                               s.row))
    return ok, problems


def recipients(event: Event, subs: list[Subscription], units: dict[str, dict]) -> list[str]:
    return sorted({s.address for s in subs if event.kind in s.events
                   and (event.kind != "red" or _in_subtree(units, event.org_unit_id,
                                                           s.org_unit_id))})


# --- the e-mail ----------------------------------------------------------------------------


def _as_date(x) -> date | None:
    if x is None or isinstance(x, date):
        return x
    return date.fromisoformat(str(x)[:10])


def _as_datetime(x) -> datetime | None:
    if x is None or isinstance(x, datetime):
        return x
    return datetime.fromisoformat(str(x))


def sections_for(events: list[Event]) -> list[Section]:
    out = []
    red = [e for e in events if e.kind == "red"]
    if red:
        lines = []
        for e in sorted(red, key=lambda e: (-WORSE[e.data["status"]], e.data["org_unit"],
                                            e.data["kpi"])):
            d, u = e.data, e.data["unit"]
            before = fmt.status_label(d["before"]) if d["before"] else "keine Bewertung"
            lines.append(
                f"{d['org_unit']} · {d['kpi']}: jetzt {fmt.status_label(d['status'])} (vorher "
                f"{before}) — Ist {fmt.kpi_value(d['value'], u)} "
                f"({fmt.month_short(_as_date(d['month']))}), Soll "
                f"{fmt.kpi_value(d['expected'], u)}, Ziel {fmt.kpi_value(d['target'], u)} bis "
                f"{fmt.day(_as_date(d['target_date']))}")
        out.append(Section(f"Kennzahlen rot oder gelb geworden ({len(red)})", lines,
                           "Rot: deutlich hinter dem Zielpfad; gelb: innerhalb der Toleranz. "
                           "Details im Cockpit und im Monatsbericht (leitstand report)."))
    for e in (e for e in events if e.kind == "blocked"):
        last = _as_datetime(e.data.get("last_publication"))
        keep = (f"es gilt weiter die Veröffentlichung vom {fmt.day_time(last)}" if last
                else "es gibt noch keine Veröffentlichung")
        out.append(Section(
            f"Lauf blockiert: nichts veröffentlicht ({keep})",
            [f"Lauf {e.run_id}: das hat ihn blockiert:", *e.data["reasons"]],
            "So beheben: die genannten Zeilen in den Exportdateien korrigieren (oder die Datei "
            "entfernen) und den Lauf neu starten (leitstand run). Jede Meldung nennt Datei, "
            f"Zeile und Spalte; alle Prüfungen des Laufs: {e.data['report']}, "
            "`leitstand status`."))
    stale = [e for e in events if e.kind == "stale"]
    if stale:
        out.append(Section(
            f"Quellen veraltet ({len(stale)})",
            [f"{e.data['source']}: {e.data['observed']}"
             + (f" (erlaubt: {e.data['threshold']})" if e.data.get("threshold") else "")
             for e in stale],
            "Den neuen Export der Quelle in ihren Ordner legen; die Kennzahlen dieser Quelle "
            "zeigen bis dahin den alten Stand."))
    return out


def subject_for(events: list[Event]) -> str:
    parts = []
    if any(e.kind == "blocked" for e in events):
        parts.append("Lauf blockiert")
    red = [e for e in events if e.kind == "red"]
    if red:
        n_red = sum(1 for e in red if e.data["status"] == "red")
        parts.append(f"{len(red)} Kennzahl{'en' if len(red) > 1 else ''} "
                     f"{'rot' if n_red == len(red) else 'gelb' if not n_red else 'rot/gelb'}")
    stale = sum(1 for e in events if e.kind == "stale")
    if stale:
        parts.append(f"{stale} Quelle{'n' if stale > 1 else ''} veraltet")
    return "Leitstand: " + ", ".join(parts)


# --- evaluate and deliver ------------------------------------------------------------------


def evaluate_run(settings: Settings, run_id: str, failures: list[str] | None = None,
                 environ: Mapping[str, str] | None = None) -> AlertOutcome:
    """Find this run's events, address them and deliver what is pending. Never raises for a
    mail server, a bad alerts.csv or a missing browser: those are logged and returned."""
    outcome = AlertOutcome()
    with _locked(settings) as state_path:
        state = load_state(state_path)
        pub = read_published(settings.published_db)
        results = read_run_report(settings.runs_dir, run_id)
        published = pub is not None and run_id in pub.run_ids
        events: list[Event] = []
        if published:
            events += status_events(pub, state, run_id)
            state["blocked"] = None
        else:
            reasons = blocking_reasons(results, failures or [])
            events += blocked_event(run_id, reasons, results, state, settings,
                                    pub.published_at if pub else None)
        events += stale_events(run_id, results, state)

        file = f"config/{alerts_path(settings.sources_dir).name}"
        subs, problems = read_subscriptions(alerts_path(settings.sources_dir))
        subs, unit_problems = resolve_subscriptions(subs, pub.units if pub else {}, file)
        outcome.problems = problems + unit_problems
        for p in outcome.problems:
            log.error("%s (these rows get no alerts until fixed)", p)
        for e in events:
            e.to = recipients(e, subs, pub.units if pub else {})
        outcome.events = events
        pending = [Event.from_dict(d) for d in state.get("pending", [])]
        pending += [e for e in events if e.to]
        state["pending"] = [e.to_dict() for e in pending]
        state["problems"] = outcome.problems
        state["evaluated"] = {"run_id": run_id, "at": _now(), "new_events": len(events)}
        save_state(state_path, state)
        deliver(settings, state, state_path, subs, outcome, environ)
    return outcome


def deliver(settings: Settings, state: dict, state_path: Path, subs: list[Subscription],
            outcome: AlertOutcome, environ: Mapping[str, str] | None = None) -> None:
    pending = [Event.from_dict(d) for d in state.get("pending", [])]
    addresses = sorted({a for e in pending for a in e.to})
    if not addresses:
        return
    try:
        smtp = smtp_settings(environ)
    except MailSettingError as e:
        outcome.failed += [f"{a}: {e}" for a in addresses]
        outcome.pending = len(addresses)
        state["last_delivery"] = {"at": _now(), "mode": "smtp", "error": str(e),
                                  "delivered": 0, "failed": len(addresses)}
        save_state(state_path, state)
        log.error("alerts not sent: %s", e)
        return
    outcome.mode = "smtp" if smtp else "outbox"
    sender = smtp.sender if smtp else "leitstand@localhost"
    reports: dict[str | None, tuple[str, bytes] | None] = {}
    errors = []
    for address in addresses:
        mine = sorted((e for e in pending if address in e.to),
                      key=lambda e: (KIND_ORDER[e.kind], e.created_at))
        attach = [_report_for(settings, s.org_unit_id, reports) for s in subs
                  if s.address == address and s.attach_report and
                  any(e.kind != "blocked" for e in mine)]
        units = sorted({s.org_unit_id or "gesamtes Unternehmen" for s in subs
                        if s.address == address})
        footer = [f"Sie erhalten diese E-Mail, weil {address} in config/alerts.csv eingetragen "
                  f"ist ({', '.join(units) if units else 'Eintrag inzwischen entfernt'}).",
                  "Personenbezogene Kennzahlen werden erst ab der Mindestgruppengröße gezeigt; "
                  "Zellen unter der Mindestgruppengröße werden in keiner Meldung genannt."]
        message = compose(address, sender, subject_for(mine), sections_for(mine), footer,
                          [a for a in attach if a])
        try:
            if smtp:
                send(message, smtp)
            else:
                write_outbox(message, outbox_dir(settings))
        except Exception as e:  # a failing mail server never fails the run
            errors.append(f"{address}: {type(e).__name__}: {e}")
            log.error("alert e-mail to %s not delivered (%s: %s); retried after the next run",
                      address, type(e).__name__, e)
            continue
        outcome.delivered.append(address)
        for e in pending:
            if address in e.to:
                e.to.remove(address)
        state["pending"] = [e.to_dict() for e in pending if e.to]
        save_state(state_path, state)
    outcome.failed = errors
    outcome.pending = len({a for e in pending for a in e.to})
    state["last_delivery"] = {"at": _now(), "mode": outcome.mode, "delivered":
                              len(outcome.delivered), "failed": len(errors),
                              "error": errors[0] if errors else None}
    save_state(state_path, state)


def _report_for(settings: Settings, unit: str | None,
                cache: dict[str | None, tuple[str, bytes] | None]) -> tuple[str, bytes] | None:
    """The monthly report of `unit` (None: the root) as an attachment; None when it cannot be
    made (no browser): the e-mail goes out without it."""
    if unit not in cache:
        try:
            with tempfile.TemporaryDirectory(prefix="leitstand-alert-") as tmp:
                written = write_report(settings.published_db, Path(tmp) / "bericht.pdf",
                                       [unit] if unit else None)
                cache[unit] = (written.path.name.replace("bericht", "leitstand-bericht-"
                               f"{written.month:%Y-%m}-{'-'.join(written.units)}"),
                               written.path.read_bytes())
        except (ReportError, OSError) as e:
            log.error("monthly report for %s not attached: %s", unit or "the root", e)
            cache[unit] = None
    return cache[unit]


# --- for `leitstand status` ----------------------------------------------------------------


def status_lines(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """What `leitstand status` says about alerts: where they go, what is pending or failed."""
    out = []
    subs, problems = read_subscriptions(alerts_path(settings.sources_dir))
    if not subs and not problems:
        out.append(f"  no subscribers ({alerts_path(settings.sources_dir)} absent or empty): "
                   "no alerts are sent")
    else:
        out.append(f"  {len({s.address for s in subs})} address(es) in config/alerts.csv")
    try:
        smtp = smtp_settings(environ)
        if smtp:
            out.append(f"  SMTP {smtp.describe()}")
        else:
            box = outbox_dir(settings)
            n = len(list(box.glob("*.eml"))) if box.is_dir() else 0
            out.append(f"  no SMTP server configured (LEITSTAND_SMTP_HOST): e-mails are written "
                       f"to {box} ({n} there)")
    except MailSettingError as e:
        out.append(f"  SMTP setting unusable: {e}")
    path = alerts_dir(settings) / "state.json"
    state = load_state(path) if path.exists() else {}
    last = state.get("last_delivery")
    if last:
        line = f"  last delivery {last['at']}: {last['delivered']} delivered"
        if last.get("failed"):
            line += f", {last['failed']} failed ({last.get('error')}) — retried after the next run"
        out.append(line)
    pending = {a for e in state.get("pending", []) for a in e.get("to", [])}
    if pending:
        out.append(f"  {len(pending)} address(es) still to reach: {', '.join(sorted(pending))}")
    out += [f"  problem: {p}" for p in (state.get("problems") or problems)]
    return out
