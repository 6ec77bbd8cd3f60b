"""The sample at Mittelstand scale: bulk exports written by DuckDB, read by the real ingest.

Small scales only (a few thousand rows): the volumes grow linearly with the scale, so what
holds here holds at 480 (which `make bench` generates).
"""

from __future__ import annotations

import datetime as dt
import filecmp
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest.loader import load_config, load_source
from dagster_project.sample import generate
from dagster_project.sample.bulk import (
    STAFF_PER_STEP,
    order_file_name,
    usage_file_name,
    write_bulk,
    write_daily_orders,
)
from dagster_project.sample.timeline import month_starts
from tests.sample.test_generator import read_rows

SCALE = 1.2  # 0.2 scale steps on top of the sample: ~4,000 bulk orders


@pytest.fixture(scope="module")
def bulk_sources(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("bulk")
    generate(out, seed=42, scale=1.0)
    return out, write_bulk(out, seed=42, scale=SCALE)


def test_scale_one_adds_nothing(tmp_path):
    assert write_bulk(tmp_path, seed=42, scale=1.0).files == {}
    assert not any(tmp_path.iterdir())


def test_volumes_grow_with_the_scale(bulk_sources, tmp_path):
    _, written = bulk_sources
    steps = SCALE - 1
    assert written.rows("erp_orders") == pytest.approx(21_100 * steps, rel=0.05)
    assert written.rows("crm_interactions") == pytest.approx(4_900 * steps, rel=0.05)
    assert written.rows("hr_employees") == pytest.approx(STAFF_PER_STEP * steps, abs=6)
    bigger = write_bulk(tmp_path, seed=42, scale=2 * SCALE - 1)
    assert bigger.rows("erp_orders") == pytest.approx(2 * written.rows("erp_orders"), rel=0.01)
    assert len(written.files["erp_orders"]) == len(month_starts())


def test_same_seed_same_bytes(bulk_sources, tmp_path):
    out, _ = bulk_sources
    write_bulk(tmp_path, seed=42, scale=SCALE)
    for source in ("erp_orders", "it_usage"):
        names = [p.name for p in (tmp_path / source).iterdir()]
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / source, out / source, names,
                                                   shallow=False)
        assert not mismatch and not errors and len(match) == len(names)


def test_erp_files_keep_the_german_quirks(bulk_sources):
    out, _ = bulk_sources
    old = out / "erp_orders" / order_file_name(month_starts()[0])
    new = out / "erp_orders" / order_file_name(month_starts()[8])
    with pytest.raises(UnicodeDecodeError):
        new.read_bytes().decode("utf-8")  # Windows-1252: Währung, Außendienst, €
    header, rows = read_rows(old)
    assert header[:3] == ["Belegnummer", "Belegdatum", "AB-Datum"]
    assert all(len(r[1]) == 8 for r in rows)  # 01.11.24
    assert {r[8] for r in rows} <= {"Fakturiert", "Geliefert", "Offen", "Storniert"}
    header, rows = read_rows(new)
    assert header[0] == "Auftragsnummer" and header[-1] == "Bestätigungsdatum"
    amounts = [r[header.index("Nettobetrag")] for r in rows]
    assert all("," in a and a.rsplit(",", 1)[1].isdigit() for a in amounts)
    assert any("." in a for a in amounts)  # thousands separators
    units = {r[header.index("Vertriebsbereich")] for r in rows}
    assert {"VT-IN", "vt-in", "Vertrieb Inland"} <= units
    remarks = [r[header.index("Bemerkung")] for m in month_starts()[2:]
               for r in read_rows(out / "erp_orders" / order_file_name(m))[1]]
    assert any("\n" in r for r in remarks) and any('"' in r for r in remarks)
    assert any("€" in r for r in remarks)


def test_ingest_loads_every_bulk_row(bulk_sources, tmp_path):
    out, written = bulk_sources
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    load_config(con, out, "l1")
    results = {s: load_source(con, s, out, "l1")
               for s in ("hr_employees", "it_licenses", "it_usage", "erp_orders")}
    for source, result in results.items():
        assert not result.rejected_files, source
        bulk_files = [name for name, _ in written.files[source]]
        rows = con.execute(
            f"select count(*) from raw.{source} where list_contains(?, _file_name)",
            [bulk_files]).fetchone()[0]
        quarantined = con.execute(
            "select count(*) from dq.quarantine where list_contains(?, file_name)",
            [bulk_files]).fetchone()[0]
        assert (rows, quarantined) == (written.rows(source), 0), source
    channels = con.execute(
        "select count(distinct channel) from raw.erp_orders where order_id like 'AU-2%'"
    ).fetchone()[0]
    assert channels > 10
    usage = usage_file_name(month_starts()[3])
    german = con.execute("select min(activity_date), max(activity_date) from raw.it_usage "
                         "where _file_name = ?", [usage]).fetchone()
    assert dt.date(2025, 2, 1) <= german[0] and german[1] == dt.date(2025, 2, 28)


def test_daily_export_is_one_day_of_new_orders(bulk_sources, tmp_path):
    out, written = bulk_sources
    (tmp_path / "erp_orders").mkdir()
    name = write_daily_orders(tmp_path, seed=42, scale=SCALE, day=dt.date(2026, 10, 30))
    header, rows = read_rows(tmp_path / "erp_orders" / name)
    assert {r[header.index("Auftragsdatum")] for r in rows} == {"30.10.2026"}
    assert all(int(r[0].removeprefix("AU-")) >= 5_000_000_000 for r in rows)  # no bulk id
    assert 0 < len(rows) < written.rows("erp_orders") / 10
