"""The KPI page's chart series (dashboards/components/chart.js), run in Node as the page runs
it: the target path drawn as it was in force in each month, with a step where it was
revised (marts.kpi_targets), and the tolerance band following it.

Fast (one `node` call); the page in a real browser is in test_dashboards.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from dagster_project.core.settings import DASHBOARDS_DIR

CHART_JS = DASHBOARDS_DIR / "components" / "chart.js"
SCRIPT = """
const c = await import(process.argv[1]);
const input = JSON.parse(process.argv[2]);
const out = input.cases.map(([points, status, definition, targets]) =>
  c.kpiChartSeries(points, status, definition, false, targets).map((s) => ({
    name: s.name,
    points: s.points.map(([d, v]) => [d.toISOString().slice(0, 10), v]),
  })));
process.stdout.write(JSON.stringify(out));
"""

POINTS = [{"month": f"2025-{m:02d}-01", "value": 0.30 + 0.01 * m} for m in range(1, 13)]
FIRST = {"valid_from": None, "baseline_date": "2024-12-31", "baseline_value": 0.30,
         "target_date": "2026-12-31", "target_value": 0.54, "tolerance": 0.02}
# from July 2025 on a more ambitious target by the same date, tolerance narrower
REVISED = {**FIRST, "valid_from": "2025-07-01", "target_value": 0.78, "tolerance": 0.01,
           "reason": "Zielanpassung"}
STATUS = {"month": "2025-12-01", "value": 0.42, "baseline_value": 0.30, "target_value": 0.78,
          "expected_value": 0.54, "tolerance": 0.01, "target_date": "2026-12-31",
          "forecast_at_target_date": 0.54}
DEFINITION = {"unit": "share", "direction": "up"}


@pytest.fixture(scope="module")
def drawn() -> list:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    cases = [[POINTS, STATUS, DEFINITION, [FIRST, REVISED]],
             [POINTS, STATUS, DEFINITION, []]]
    done = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, CHART_JS.as_uri(),
         json.dumps({"cases": cases})],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return [{s["name"]: s["points"] for s in case} for case in json.loads(done.stdout)]


def _at_month_end(row: dict, month: str) -> float:
    """The path of one target row at the end of a month (days as the unit), in percent."""
    from datetime import date, timedelta

    y, m = int(month[:4]), int(month[5:7])
    end = date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)
    b, t = date.fromisoformat(row["baseline_date"]), date.fromisoformat(row["target_date"])
    share = min(1.0, max(0.0, (end - b).days / (t - b).days))
    return 100 * (row["baseline_value"] + (row["target_value"] - row["baseline_value"]) * share)


def test_the_path_is_the_row_in_force_each_month_with_a_step_at_the_revision(drawn):
    path = drawn[0]["Zielpfad"]
    dates = [d for d, _ in path]
    # one point a month, and two at the revision's month: the old path, then the new one
    assert dates.count("2025-07-01") == 2
    assert len(dates) == len(set(dates)) + 1
    by_date: dict[str, list[float]] = {}
    for d, v in path:
        by_date.setdefault(d, []).append(v)
    for d, values in by_date.items():
        row = FIRST if d < "2025-07-01" else REVISED
        assert values[-1] == pytest.approx(_at_month_end(row, d)), d
    old, new = by_date["2025-07-01"]
    assert old == pytest.approx(_at_month_end(FIRST, "2025-07-01"))
    assert new - old > 5  # a visible step up (percentage points)
    # the path at the status month is the status' expected value
    assert by_date["2025-12-01"][-1] == pytest.approx(100 * _at_month_end(REVISED, "2025-12") / 100)
    # the tolerance band follows the row in force: 2 Pp. below before, 1 Pp. after
    low = dict(drawn[0]["Toleranz"][:3])
    assert low["2025-01-01"] == pytest.approx(by_date["2025-01-01"][0] - 2)
    low_after = [v for d, v in drawn[0]["Toleranz"] if d == "2025-12-01"]
    assert low_after == [pytest.approx(by_date["2025-12-01"][0] - 1)]


def test_without_target_rows_the_status_path_is_drawn_without_a_step(drawn):
    path = drawn[1]["Zielpfad"]
    dates = [d for d, _ in path]
    assert len(dates) == len(set(dates))
    at_status = [v for d, v in path if d == "2025-12-01"]
    assert at_status == [pytest.approx(54.0)]
