"""Whole runs through the gate: bad input blocks, the publication stays byte-identical, and
fixing the input publishes again.

Each test starts from a private copy of the session's good run (sources folder and data
dir with a publication), adds one bad export as an analyst would, and runs the pipeline
in-process on an ephemeral Dagster instance.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

HEADER = ("Auftragsnummer;Auftragsdatum;Kundennummer;Vertriebsbereich;Bestellkanal;Nettobetrag;"
          "Währung;Auftragsstatus;Bestätigungsdatum")


def _run(sources: Path, data: Path):
    import dagster as dg

    from dagster_project.cli.run import run_pipeline
    from dagster_project.core.settings import load_settings

    with dg.DagsterInstance.ephemeral() as instance:
        return run_pipeline(load_settings(sources, data), dashboards=False, instance=instance)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _units(sources: Path) -> list[str]:
    """The company's org units, root first (config/org_units.csv as the company wrote it)."""
    lines = (sources / "config" / "org_units.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [line.split(";") for line in lines[1:] if line.strip()]
    return [r[0] for r in sorted(rows, key=lambda r: r[2] != "")]


def _order_rows(sources: Path, count: int, *, order_date: str = "15.10.2026",
                channel: str = "Webshop") -> list[str]:
    """New orders of a new customer, booked on a unit below the root."""
    unit = _units(sources)[-1]
    return [f"GT-{i:06d};{order_date};GT-KUNDE-1;{unit};{channel};1.250,00;EUR;offen;"
            for i in range(count)]


def _write_export(sources: Path, name: str, lines: list[str], header: str = HEADER) -> Path:
    path = sources / "erp_orders" / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _erp_rows(sources: Path) -> int:
    """Data rows in the good erp exports, to size a batch above the 1 % quarantine limit."""
    total = 0
    for f in (sources / "erp_orders").iterdir():
        total += max(0, len(f.read_bytes().splitlines()) - 1)
    return total


def _failed_results(data: Path, run_id: str) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(data / "build.duckdb"), read_only=True) as con:
        return con.execute(
            "select source_or_table, check_name, message from dq.gate_results "
            "where run_id = ? and not passed and severity = 'error' order by 1, 2",
            [run_id],
        ).fetchall()


def _assert_blocked(run, outcome, *expected_in_report: str) -> list[tuple[str, str, str]]:
    """Blocked, with the reasons printed, recorded in the build DB and in the run report."""
    published = run.published_db
    assert not outcome.published, outcome.report()
    report = outcome.report()
    assert "BLOCKED" in report
    for text in expected_in_report:
        assert text in report, f"{text!r} not in the printed report:\n{report}"
    failed = _failed_results(run.data_dir, outcome.run_id)
    assert failed, "a blocked run records its failed checks in dq.gate_results"
    run_report = json.loads((run.data_dir / "runs" / f"{outcome.run_id}.json").read_text())
    assert run_report["blocked"] is True
    assert published.exists()
    return failed


@pytest.fixture
def good(copied_run):
    """The copied good run plus the digest of its published file."""
    assert copied_run.published_db.exists()
    return copied_run, _digest(copied_run.published_db)


def test_missing_required_column_blocks_then_removing_the_file_publishes(good):
    run, digest = good
    header = HEADER.replace("Nettobetrag;", "")
    lines = [";".join(p for i, p in enumerate(r.split(";")) if i != 5)
             for r in _order_rows(run.sources_dir, 5)]
    _write_export(run.sources_dir, "auftraege_2026-11-15.csv", lines, header)

    outcome = _run(run.sources_dir, run.data_dir)
    failed = _assert_blocked(run, outcome, "auftraege_2026-11-15.csv", "net_amount")
    assert ("erp_orders", "rejected_files") in [(s, c) for s, c, _ in failed]
    assert _digest(run.published_db) == digest

    (run.sources_dir / "erp_orders" / "auftraege_2026-11-15.csv").unlink()
    fixed = _run(run.sources_dir, run.data_dir)
    assert fixed.published, fixed.report()
    assert _digest(run.published_db) != digest


def test_unknown_channel_blocks_with_the_line_to_add_then_mapping_it_publishes(good):
    run, digest = good
    _write_export(run.sources_dir, "auftraege_2026-11-15.csv",
                  _order_rows(run.sources_dir, 12, channel="Telefax"))

    outcome = _run(run.sources_dir, run.data_dir)
    failed = _assert_blocked(run, outcome, "'Telefax' (12 rows)", "channels.csv")
    [(_, _, message)] = [f for f in failed if f[1] == "channel_map"]
    assert "erp_orders;Telefax;<channel>;<true|false>" in message
    assert _digest(run.published_db) == digest

    channels = run.sources_dir / "config" / "channels.csv"
    text = channels.read_text(encoding="utf-8")
    channels.write_text(text.rstrip("\r\n") + "\r\nerp_orders;Telefax;Fax;nein\r\n",
                        encoding="utf-8")
    fixed = _run(run.sources_dir, run.data_dir)
    assert fixed.published, fixed.report()
    with duckdb.connect(str(run.published_db), read_only=True) as con:
        passed = con.execute(
            "select passed from dq.gate_results where run_id = ? and check_name = 'channel_map' "
            "and source_or_table = 'erp_orders'", [fixed.run_id]).fetchall()
    assert passed == [(True,)]


def test_batch_of_unparsable_dates_blocks_on_the_quarantine_share(good):
    run, digest = good
    bad = _erp_rows(run.sources_dir) // 50 + 10  # about 2 % of the source's rows
    _write_export(run.sources_dir, "auftraege_2026-11-15.csv",
                  _order_rows(run.sources_dir, bad, order_date="31.13.2026"))

    outcome = _run(run.sources_dir, run.data_dir)
    failed = _assert_blocked(run, outcome, "auftraege_2026-11-15.csv", "order_date",
                             "max_quarantine_share")
    [(_, _, message)] = [f for f in failed if f[1] == "quarantine_share"]
    assert "auftraege_2026-11-15.csv column order_date" in message
    assert f"({bad} rows, e.g. '31.13.2026')" in message
    assert _digest(run.published_db) == digest

    settings = run.sources_dir / "config" / "settings.csv"
    settings.write_text(settings.read_text(encoding="utf-8").rstrip("\r\n")
                        + "\r\nmax_quarantine_share;5 %\r\nmax_file_quarantine_share;100 %\r\n",
                        encoding="utf-8")  # the source's share, and the new file's own
    fixed = _run(run.sources_dir, run.data_dir)
    assert fixed.published, fixed.report()


def test_dates_in_the_future_block_with_file_and_row(good):
    run, digest = good
    _write_export(run.sources_dir, "auftraege_2026-11-15.csv",
                  _order_rows(run.sources_dir, 3, order_date="15.10.2099"))

    outcome = _run(run.sources_dir, run.data_dir)
    failed = _assert_blocked(run, outcome, "raw.erp_orders.order_date", "2099-10-15",
                             "auftraege_2026-11-15.csv row 2")
    assert ("raw.erp_orders", "column_values_to_be_between(order_date)") in [
        (s, c) for s, c, _ in failed]
    assert _digest(run.published_db) == digest


def test_target_for_an_unknown_kpi_blocks_at_the_mart_gate_then_fixing_it_publishes(good):
    run, digest = good
    targets = run.sources_dir / "config" / "kpi_targets.csv"
    original = targets.read_text(encoding="utf-8")
    root = _units(run.sources_dir)[0]
    typo = f"digital_orders_share;{root};31.12.2024;0,30;31.12.2026;0,50;0,03"
    targets.write_text(original.rstrip("\r\n") + f"\r\n{typo}\r\n", encoding="utf-8")

    outcome = _run(run.sources_dir, run.data_dir)
    failed = _assert_blocked(run, outcome, "digital_orders_share", "kpi_targets.csv")
    assert any(table == "marts.kpi_status" for table, _, _ in failed), failed
    assert _digest(run.published_db) == digest

    targets.write_text(original, encoding="utf-8")
    fixed = _run(run.sources_dir, run.data_dir)
    assert fixed.published, fixed.report()
