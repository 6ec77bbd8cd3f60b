"""The SQL gate rules: quarantine share, rejected files, freshness, settings."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.gate.gate_settings import SettingError, gate_settings, parse_share
from dagster_project.gate.results import ERROR, WARN
from dagster_project.gate.rules import (
    freshness,
    load_gate_settings,
    quarantine_share,
    rejected_files,
)

from .conftest import TODAY
from .tables import create, erp_orders, good_order, settings

QUARANTINE = {"source": "varchar", "file_name": "varchar", "row_number": "bigint",
              "column_name": "varchar", "reason": "varchar", "raw_value": "varchar"}
INGEST_RESULTS = {"load_id": "varchar", "source": "varchar", "files_loaded": "bigint",
                  "files_read": "bigint", "rows_total": "bigint", "rows_loaded": "bigint",
                  "rows_quarantined": "bigint", "duplicates_collapsed": "bigint",
                  "dropped_columns": "varchar[]"}


def _ingest(con, source, rows_total, bad_rows, file_name="orders_2026-10-31.csv"):
    """`rows_total` rows read, of which `bad_rows` (row numbers) quarantined on order_date."""
    create(con, "meta.ingest_results", INGEST_RESULTS,
           [("load-1", source, 1, 1, rows_total, rows_total - len(bad_rows), len(bad_rows), 0, [])])
    create(con, "dq.quarantine", QUARANTINE,
           [(source, file_name, n, "order_date", "unparsable date", "31.13.2026")
            for n in bad_rows])


def test_quarantine_share_over_one_percent_blocks_and_names_file_column_reason(con):
    settings(con)
    _ingest(con, "erp_orders", 200, [5, 6, 7])  # 1.5 %
    result = quarantine_share(con, "erp_orders")
    assert result.blocks
    assert result.observed == "3 of 200 rows (1.5 %)" and result.threshold == "≤ 1 %"
    for part in ("erp_orders", "orders_2026-10-31.csv", "order_date", "unparsable date",
                 "'31.13.2026'", "max_quarantine_share 1 %", "config/settings.csv"):
        assert part in result.message, part


def test_quarantine_share_at_the_limit_passes(con):
    settings(con)
    _ingest(con, "erp_orders", 300, [5, 6, 7])  # exactly 1 %
    assert quarantine_share(con, "erp_orders").passed


def test_a_row_with_two_bad_columns_counts_once(con):
    settings(con)
    _ingest(con, "erp_orders", 100, [5])
    con.execute("insert into dq.quarantine values ('erp_orders', 'orders_2026-10-31.csv', 5, "
                "'net_amount', 'unparsable number', 'x')")
    assert quarantine_share(con, "erp_orders").observed == "1 of 100 rows (1 %)"


def test_quarantine_threshold_comes_from_settings(con):
    settings(con, {"max_quarantine_share": "5 %"})
    _ingest(con, "erp_orders", 100, [1, 2, 3])
    result = quarantine_share(con, "erp_orders")
    assert result.passed and result.threshold == "≤ 5 %"


def test_quarantine_share_without_ingest_counts_uses_raw_rows(con):
    erp_orders(con, [good_order(f"A-{i}") for i in range(9)])
    create(con, "dq.quarantine", QUARANTINE,
           [("erp_orders", "orders.csv", 4, "order_date", "unparsable date", "x")])
    result = quarantine_share(con, "erp_orders", max_share=0.01)
    assert result.observed == "1 of 10 rows (10 %)" and result.blocks


def test_other_sources_quarantine_does_not_count(con):
    settings(con)
    _ingest(con, "crm_leads", 10, [1, 2])
    create(con, "meta.ingest_results", INGEST_RESULTS,
           [("load-1", "erp_orders", 1, 1, 100, 100, 0, 0, [])])
    assert quarantine_share(con, "erp_orders").passed


@pytest.mark.parametrize("text,share", [("0.01", 0.01), ("0,02", 0.02), ("1 %", 0.01),
                                        ("2.5%", 0.025)])
def test_share_settings_are_read_in_every_usual_form(text, share):
    assert parse_share(text, "max_quarantine_share") == pytest.approx(share)


def test_unreadable_setting_blocks_with_the_line_to_fix(con):
    settings(con, {"max_quarantine_share": "viel"})
    parsed, problems = load_gate_settings(con)
    assert parsed.max_quarantine_share == 0.01  # the default still guards the run
    [problem] = problems
    assert problem.blocks and "max_quarantine_share = 'viel'" in problem.message
    with pytest.raises(SettingError):
        gate_settings({"max_quarantine_share": "150 %"})


def test_rejected_file_blocks_with_the_ingest_reason(con):
    create(con, "meta.rejected_files", {"load_id": "varchar", "source": "varchar",
                                        "file_name": "varchar", "message": "varchar"},
           [("load-1", "erp_orders", "orders_2026-11.csv",
             "sources/erp_orders/orders_2026-11.csv (erp_orders): required column net_amount "
             "missing (accepted headers: Nettobetrag, Nettowert, Netto, Net Amount, Net Value)")])
    result = rejected_files(con, "erp_orders")
    assert result.blocks and result.observed == "1 files"
    assert "orders_2026-11.csv" in result.message and "net_amount" in result.message
    assert "Nettobetrag" in result.message
    assert rejected_files(con, "crm_leads").passed


def test_rejected_files_table_absent_passes(con):
    assert rejected_files(con, "erp_orders").passed


def test_stale_source_warns_and_never_blocks(con):
    erp_orders(con, [good_order("A-1", order_date=dt.date(2026, 8, 31), confirmed_date=None)])
    result = freshness(con, "erp_orders", today=TODAY, max_age_days=45)
    assert result.severity == WARN and not result.passed and not result.blocks
    assert "2026-08-31" in result.message and "83 days" in result.message
    assert "freshness_days" in result.message


def test_fresh_source_passes_and_snapshot_sources_have_no_freshness_rule(con):
    erp_orders(con, [good_order("A-1", order_date=dt.date(2026, 10, 31))])
    assert freshness(con, "erp_orders", today=TODAY, max_age_days=45).passed
    assert freshness(con, "hr_employees", today=TODAY) is None


def test_freshness_days_from_settings_per_source(con):
    settings(con, {"freshness_days": "10", "freshness_days.erp_orders": "100"})
    erp_orders(con, [good_order("A-1", order_date=dt.date(2026, 8, 31), confirmed_date=None)])
    assert freshness(con, "erp_orders", today=TODAY).passed
    parsed, _ = load_gate_settings(con)
    assert parsed.freshness_for("crm_leads") == 10 and parsed.freshness_for("erp_orders") == 100


def test_rules_report_error_severity_when_they_block(con):
    settings(con)
    _ingest(con, "erp_orders", 10, [1])
    assert quarantine_share(con, "erp_orders").severity == ERROR


LOADED_FILES = {"source": "varchar", "file_name": "varchar", "rows": "bigint",
                "rows_skipped": "bigint"}


def test_a_file_mostly_quarantined_blocks_behind_a_small_source_share(con):
    """61 of 61 rows of a new export quarantined, 0.6 % of the source: the file blocks."""
    settings(con)
    _ingest(con, "erp_orders", 10_000, list(range(1, 62)), file_name="shop_2026-10.csv")
    create(con, "meta.loaded_files", LOADED_FILES,
           [("erp_orders", "auftraege_2026-10.csv", 9_939, 0),
            ("erp_orders", "shop_2026-10.csv", 61, 0)])
    result = quarantine_share(con, "erp_orders")
    assert result.blocks
    assert "shop_2026-10.csv: 61 of 61 rows (100 %)" in result.message
    assert "max_file_quarantine_share 50 %" in result.message
    assert "auftraege_2026-10.csv" not in result.message
    # half of a file is not more than half; the limit comes from config/settings.csv
    con.execute("delete from dq.quarantine where row_number > 30")
    con.execute("update meta.loaded_files set rows = 60 where file_name = 'shop_2026-10.csv'")
    assert quarantine_share(con, "erp_orders").passed
    settings(con, {"max_file_quarantine_share": "40 %"})
    assert quarantine_share(con, "erp_orders").blocks


def test_rows_skipped_do_not_count_as_rows_of_a_file(con):
    settings(con)
    _ingest(con, "it_usage", 1_000, [1, 2, 3], file_name="teams.csv")
    create(con, "meta.loaded_files", LOADED_FILES, [("it_usage", "teams.csv", 10, 6)])
    assert quarantine_share(con, "it_usage").blocks   # 3 of the 4 rows that count
