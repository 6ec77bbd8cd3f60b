"""Alert e-mails after real pipeline runs, received by a real SMTP server on 127.0.0.1.

From a private copy of the session's good run (its publication is the one to compare with):
a target raised so that a green (KPI, unit) turns red → one e-mail to the company's and to
that unit's subscriber, none to a subscriber of another branch; the same input again →
nothing; an export with an unknown channel blocks the run → one e-mail with what blocked it
and how to fix it; blocked again on the same input → nothing.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_pipeline_in

pytestmark = pytest.mark.slow

CHEF, BEREICH, ANDERE = "chef@firma.example", "bereich@firma.example", "andere@firma.example"


def _rows(db: Path, sql: str, params=None) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _green_cell_below_the_root(db: Path, targets: list[dict]) -> dict:
    """A green (KPI, unit) below the root with a target row, and a unit of another branch."""
    with_target = {(t["kpi_id"], t["org_unit_id"]) for t in targets}
    cells = _rows(db, """
        select s.kpi_id, s.org_unit_id, s.value, s.tolerance, d.direction, d.name_de,
               u.name as unit_name, u.path
        from marts.kpi_status s join marts.org_units u using (org_unit_id)
        join marts.kpi_definitions d using (kpi_id)
        where s.status = 'green' and u.parent_id is not null and d.unit = 'share'
        order by u.depth desc, s.kpi_id, s.org_unit_id""")
    cell = next(c for c in cells if (c["kpi_id"], c["org_unit_id"]) in with_target)
    top = cell["path"].split("/")[:2]  # root and the branch the cell is in
    other = _rows(db, "select org_unit_id from marts.org_units where depth = 1 "
                      "and path <> ? order by org_unit_id limit 1", ["/".join(top)])
    cell["other_unit"] = other[0]["org_unit_id"]
    return cell


def _read_targets(path: Path) -> tuple[list[str], list[dict], str]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    return list(reader.fieldnames), list(reader), delimiter


def _make_red(sources: Path, cell: dict) -> None:
    """Baseline and target of the cell's target row set beyond its value by twice the tolerance."""
    path = sources / "config" / "kpi_targets.csv"
    header, rows, delimiter = _read_targets(path)
    gap = 2 * (cell["tolerance"] or 0) + 0.05
    level = cell["value"] + gap if cell["direction"] == "up" else cell["value"] - gap
    assert 0 <= level <= 1, cell
    for r in rows:
        if (r["kpi_id"], r["org_unit_id"]) == (cell["kpi_id"], cell["org_unit_id"]):
            decimal = "," if "," in r["target_value"] else "."
            r["baseline_value"] = r["target_value"] = f"{level:.4f}".replace(".", decimal)
    out = io.StringIO()
    writer = csv.DictWriter(out, header, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _block(sources: Path) -> None:
    """An ERP export whose channel the channel map does not know: the gate blocks the run."""
    folder = sources / "erp_orders"
    first = sorted(folder.iterdir())[0]
    lines = first.read_bytes().decode("latin-1").splitlines()  # any encoding, bytes kept
    header, row = lines[0], lines[1].split(";")
    channel = header.split(";").index(next(h for h in header.split(";") if "kanal" in h.lower()))
    row[channel] = "Telefax"
    (folder / "auftraege_telefax.csv").write_bytes(
        ("\n".join([header] + [";".join(row)] * 12) + "\n").encode("latin-1"))


def _named_cells(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^- (.+?) · (.+?): jetzt (?:rot|gelb)", text, flags=re.M)


def test_red_cell_and_blocked_run_are_mailed_once_each(copied_run, smtp_server, monkeypatch):
    run = copied_run
    for key, value in smtp_server.env().items():
        monkeypatch.setenv(key, value)
    _, targets, _ = _read_targets(run.sources_dir / "config" / "kpi_targets.csv")
    cell = _green_cell_below_the_root(run.published_db, targets)
    (run.sources_dir / "config" / "alerts.csv").write_text(
        "address;org_unit_id;events\n"
        f"{CHEF};;red;blocked\n"
        f"{BEREICH};{cell['org_unit_id'].lower()};red\n"
        f'{ANDERE};{cell["other_unit"]};"red;blocked;stale"\n', encoding="utf-8")

    # 1. the cell turns red
    _make_red(run.sources_dir, cell)
    outcome = run_pipeline_in(run.sources_dir, run.data_dir)
    assert outcome.published, outcome.report()
    assert "2 e-mail(s) sent" in outcome.alerts, outcome.alerts
    assert len(smtp_server.received) == 2
    for address in (CHEF, BEREICH):
        [mail] = smtp_server.to(address)
        assert mail.message["Subject"].startswith("Leitstand: ")
        assert mail.message["From"] == "leitstand@firma.example"
        line = f"- {cell['unit_name']} · {cell['name_de']}: jetzt rot (vorher grün)"
        assert line in mail.text, mail.text
        assert f"{cell['unit_name']} · {cell['name_de']}: jetzt rot" in mail.html
        # every cell named is a published status cell, never a suppressed one
        published = {(r["unit_name"], r["name_de"]) for r in _rows(run.published_db, """
            select u.name as unit_name, d.name_de from marts.kpi_status s
            join marts.kpi_monthly m using (kpi_id, org_unit_id, month)
            join marts.org_units u using (org_unit_id)
            join marts.kpi_definitions d using (kpi_id)
            where not m.suppressed and s.status in ('red', 'amber')""")}
        assert set(_named_cells(mail.text)) <= published
    assert smtp_server.to(ANDERE) == []

    # 2. the same input again: nothing new
    again = run_pipeline_in(run.sources_dir, run.data_dir)
    assert again.published, again.report()
    assert len(smtp_server.received) == 2, again.alerts

    # 3. a blocked run: what blocked it and how to fix it, to the `blocked` subscribers
    _block(run.sources_dir)
    blocked = run_pipeline_in(run.sources_dir, run.data_dir)
    assert not blocked.published
    assert len(smtp_server.received) == 4, blocked.alerts
    for address in (CHEF, ANDERE):
        [mail] = smtp_server.to(address)[-1:]
        assert "Lauf blockiert" in mail.message["Subject"]
        assert blocked.run_id in mail.text and "Telefax" in mail.text
        assert "So beheben" in mail.text and "leitstand run" in mail.text
    assert len(smtp_server.to(BEREICH)) == 1

    # 4. blocked again by the same thing: nothing new
    still = run_pipeline_in(run.sources_dir, run.data_dir)
    assert not still.published
    assert len(smtp_server.received) == 4, still.alerts
