"""The dashboards' German wording (dashboards/components/format.js), run in Node as the pages
run it: trend words that say what the trend means for the target, and German for every kind
of quarantine reason and gate check that the ingest and the gate write.

Fast (one `node` call); the pages themselves are looked at in test_dashboards.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from dagster_project.core.settings import DASHBOARDS_DIR

FORMAT_JS = DASHBOARDS_DIR / "components" / "format.js"
# Every shape of reason the ingest writes into dq.quarantine (dagster_project/ingest/).
REASONS = [
    "unknown org unit 'VT-NORD' (known: see config/org_units.csv)",
    "required value missing",
    "unparsable date '31.02.2025'",
    "unparsable date/time '2025-13-02 10:00'",
    "unparsable number '12O,50'",
    "unparsable answer 'sehr'",
    "not a whole number '1,5'",
    "not a yes/no value 'vielleicht' (use ja/nein, true/false, x/empty)",
    "ambiguous number '1.234' (the column mixes 1.234,5 and 1,234.5)",
    "row has more fields than the header",
    "closed_date required for status 'won'",
    "status 'in Klärung' not in open, delivered, invoiced, cancelled",
    "currency 'USD' is not EUR",
    "percent_complete '120' outside 0..100",
    "employee id not in hr_employees",
    "duplicate key with different values in the same file",
    "answer 7 outside the scale 1..5",
]
CHECKS = [
    "quarantine_share", "rejected_files", "freshness", "gate_settings", "channel_map",
    "column_values_to_not_be_null(org_unit_id)", "column_values_to_be_unique(order_id)",
    "column_values_to_be_in_set(status)", "column_values_to_be_between(net_amount)",
    "column_pair_values_a_to_be_greater_than_b(assigned_until, assigned_from)",
    "compound_columns_to_be_unique(kpi_id, org_unit_id)",
]
OBSERVED = [
    "2 of 673 rows (0.3 %)", "newest order_date 2026-10-30 (37 days old)", "≤ 45 days old",
    "not empty", "unique", "1 value", "3 values", "hidden (privacy)",
    "assigned_until ≥ assigned_from", "in {a, b} (for at least 99 % of rows)",
]
ENGLISH = re.compile(
    r"\b(unknown|unparsable|required|missing|number|date|answer|outside|scale|duplicate|"
    r"key|values?|rows?|newest|days|old|not|empty|unique|hidden|privacy|whole|yes|header|"
    r"fields|column|mixes|employee|currency|for at least|known|see)\b"
)
SCRIPT = """
const f = await import(process.argv[1]);
const input = JSON.parse(process.argv[2]);
const out = {
  reasons: input.reasons.map(f.reasonLabel),
  checks: input.checks.map(f.checkLabel),
  observed: input.observed.map(f.observedLabel),
  trends: input.trends.map(f.trendInfo),
  months: input.months.map(f.axisMonth),
  counts: input.counts.map(([k, n, d]) => f.countNote(k, n, d)),
};
process.stdout.write(JSON.stringify(out));
"""

# (row) -> the words the cockpit must show
ROW = {"unit": "share", "month": "2026-10-01", "target_date": "2026-12-31",
       "value": 0.40, "expected_value": 0.45, "target_value": 0.50}
TRENDS = [
    # rising 1 Pp. a month while the path rises 2.5 Pp. a month: good direction, falling behind
    {**ROW, "direction": "up", "trend_3m": 0.01},
    # rising faster than the path: catching up
    {**ROW, "direction": "up", "trend_3m": 0.05},
    # a change that rounds to ± 0,0 is no trend
    {**ROW, "direction": "up", "trend_3m": 0.0001},
    # lower is better: falling is the good direction; ahead of the path (expected 6, value 5)
    {"unit": "days", "month": "2026-10-01", "target_date": "2026-12-31", "value": 5.0,
     "expected_value": 6.0, "target_value": 4.0, "direction": "down", "trend_3m": -1.5},
    # too few values
    {**ROW, "direction": "up", "trend_3m": None},
]


@pytest.fixture(scope="module")
def rendered() -> dict:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    payload = {
        "reasons": REASONS, "checks": CHECKS, "observed": OBSERVED, "trends": TRENDS,
        "months": [f"2026-{m:02d}-01" for m in range(1, 13)],
        "counts": [["milestone_on_time_rate", 3, 4], ["milestone_on_time_rate", 30, 45],
                   ["enps", 12, 20], ["cost_performance_index", 1.0, 2.0]],
    }
    done = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, FORMAT_JS.as_uri(), json.dumps(payload)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(done.stdout)


def test_every_quarantine_reason_reads_german(rendered):
    for raw, text in zip(REASONS, rendered["reasons"], strict=True):
        assert not text.startswith("Meldung der Quelle"), (raw, text)
        assert not ENGLISH.search(text.replace("config/org_units.csv", "")), (raw, text)
    assert "7" not in rendered["reasons"][-1]  # an answer is never repeated on a page


def test_every_gate_check_and_observation_reads_german(rendered):
    for raw, text in zip(CHECKS + OBSERVED, rendered["checks"] + rendered["observed"],
                         strict=True):
        assert "_" not in text and not ENGLISH.search(text), (raw, text)


def test_trend_words_say_what_the_trend_means_for_the_target(rendered):
    behind, catching_up, flat, down_ahead, none = rendered["trends"]
    assert (behind["label"], behind["path"]) == ("in Zielrichtung", "Abstand zum Pfad wächst")
    assert behind["delta"].replace("\u00a0", " ") == "+1,0 Pp."
    assert catching_up["path"] == "Abstand zum Pfad schrumpft"
    assert flat["label"] == "gleichbleibend" and flat["arrow"] == "→"
    assert (down_ahead["label"], down_ahead["arrow"]) == ("in Zielrichtung", "↘")
    assert down_ahead["path"] == "Vorsprung wächst"
    assert none["label"] == "zu wenige Werte"


def test_axis_months_are_german_and_counts_are_shown_where_small(rendered):
    assert rendered["months"] == ["Jan. 2026", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli",
                                  "Aug.", "Sept.", "Okt.", "Nov.", "Dez."]
    assert rendered["counts"] == ["3 von 4 Meilensteinen", "", "aus 20 Antworten", ""]
