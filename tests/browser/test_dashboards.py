"""The built dashboards, in a real browser, against the published database.

A real run (ingest → … → publish → dashboards) on a freshly generated company builds the
site, which is served on 127.0.0.1; drives Debian's Chromium with
playwright-core (scrape_dashboards.mjs) and compares what the pages show with the values in
the file: for two org units, on the cockpit and on one KPI page. Every request to another
host is aborted and must not happen. Screenshots go to `data/screenshots/` (or
LEITSTAND_SCREENSHOTS_DIR).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from pathlib import Path

import duckdb
import pytest

from dagster_project.core.settings import DASHBOARDS_DIR, REPO_ROOT, load_settings
from dagster_project.dashboards.build import build_dashboards
from dagster_project.dashboards.serve import make_server

from . import german
from .published_fixture import write_published_fixture

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCRAPER = Path(__file__).with_name("scrape_dashboards.mjs")


def _require(condition: bool, what: str) -> None:
    """Skip on a developer machine without the browser stack; fail in CI, where it must exist."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI installs it: see .ci/run and `make setup`)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The settings of a data dir whose publication and site the browser reads.

    By default a real `leitstand run` with dashboards, on a company generated here with
    another seed than the shipped sample (exports that are not in the repo): the site is
    the one the pipeline's last asset built. `LEITSTAND_BROWSER_FIXTURE=1` builds the site
    from the small generated fixture instead (a fast loop while working on the pages).
    """
    _require(CHROMIUM.exists(), f"Chromium not installed at {CHROMIUM}")
    _require(
        (DASHBOARDS_DIR / "node_modules" / "playwright-core").is_dir(),
        "dashboards/node_modules missing: run `make setup`",
    )
    data_dir = tmp_path_factory.mktemp("data")
    if os.environ.get("LEITSTAND_BROWSER_FIXTURE") == "1":
        settings = load_settings(data_dir=data_dir)
        write_published_fixture(settings.published_db)
        build_dashboards(settings)
        return settings
    from dagster_project.sample import generate
    from tests.conftest import run_pipeline_in

    sources_dir = tmp_path_factory.mktemp("sources")
    generate(sources_dir, seed=7)
    outcome = run_pipeline_in(sources_dir, data_dir, dashboards=True)
    assert outcome.ok, outcome.report()
    assert "dashboards" in outcome.materialized
    return load_settings(sources_dir, data_dir)


@pytest.fixture(scope="module")
def published_db(published) -> Path:
    return published.published_db


@pytest.fixture(scope="module")
def site_url(published):
    """Serve the built site on an ephemeral 127.0.0.1 port."""
    server = make_server(published, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _choose_case(con) -> tuple[str, list[str]]:
    """A KPI whose breakdown has a suppressed cell, and two org units to look at.

    The second unit is the parent of the suppressed cell (the root's first child with a
    status row when the parent is the root), so that the KPI page shows the suppressed cell.
    """
    root = con.execute("select org_unit_id from marts.org_units where depth = 0").fetchone()[0]
    found = con.execute(
        """
        with latest as (
            select kpi_id, max(month) as month from marts.kpi_monthly group by kpi_id
        )
        select k.kpi_id, u.parent_id
        from marts.kpi_monthly as k
        join latest as l on l.kpi_id = k.kpi_id and l.month = k.month
        join marts.org_units as u on u.org_unit_id = k.org_unit_id
        where k.suppressed and u.parent_id is not null
            and exists (
                select 1 from marts.kpi_status as s
                where s.kpi_id = k.kpi_id and s.org_unit_id = u.parent_id
            )
            and exists (
                select 1 from marts.kpi_status as s
                where s.kpi_id = k.kpi_id and s.org_unit_id = ?
            )
        order by u.parent_id = ?, k.kpi_id, u.parent_id
        limit 1
        """,
        [root, root],
    ).fetchone()
    assert found, "the published data has no suppressed cell below a unit with a KPI status"
    kpi_id, parent = found
    if parent == root:
        parent = con.execute(
            "select u.org_unit_id from marts.org_units as u join marts.kpi_status as s"
            " on s.org_unit_id = u.org_unit_id where u.parent_id = ? and s.kpi_id = ?"
            " order by u.path limit 1",
            [root, kpi_id],
        ).fetchone()[0]
    return kpi_id, [root, parent]


@pytest.fixture(scope="module")
def seen(site_url: str, published_db: Path):
    """Run the browser once; return what it saw plus the case it looked at."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        kpi_id, units = _choose_case(con)
        names = dict(con.execute("select org_unit_id, name from marts.org_units").fetchall())
    screenshots = Path(
        os.environ.get("LEITSTAND_SCREENSHOTS_DIR", REPO_ROOT / "data" / "screenshots")
    )
    proc = subprocess.run(
        ["node", str(SCRAPER), site_url, str(screenshots), kpi_id, *units],
        env={**os.environ, "UNIT_NAMES": json.dumps({u: names[u] for u in units})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"browser run failed:\n{proc.stderr[-3000:]}"
    return {"report": json.loads(proc.stdout), "kpi_id": kpi_id, "units": units,
            "names": names, "screenshots": screenshots}


def test_no_request_leaves_localhost(seen):
    assert seen["report"]["blocked"] == []


def test_no_query_error_anywhere(seen):
    report = seen["report"]
    assert report["queryErrors"] == []
    assert report["pageErrors"] == []
    assert [e for e in report["consoleErrors"] if re.search(r"Error", e)] == []


def test_cockpit_shows_the_published_status(seen, published_db: Path):
    """Value, path, target, forecast and dates of every KPI equal kpi_status, per unit."""
    report = seen["report"]
    with duckdb.connect(str(published_db), read_only=True) as con:
        for unit in seen["units"]:
            shown = report["cockpit"][unit]
            assert shown["unitName"] == seen["names"][unit]
            rows = {r["kpi_id"]: r for r in shown["rows"]}
            expected = con.execute(
                "select s.kpi_id, d.unit, s.status, s.value, s.expected_value, s.target_value,"
                " s.target_date, s.forecast_at_target_date, s.data_as_of"
                " from marts.kpi_status s join marts.kpi_definitions d using (kpi_id)"
                " where s.org_unit_id = ?",
                [unit],
            ).fetchall()
            assert expected, f"no kpi_status rows for {unit}"
            for kpi_id, kpi_unit, status, value, exp, target, t_date, forecast, as_of in expected:
                cells = rows[kpi_id]["cells"]
                assert rows[kpi_id]["status"] == status
                checks = {
                    "value": german.kpi_value(value, kpi_unit),
                    "expected": german.kpi_value(exp, kpi_unit),
                    "target": german.kpi_value(target, kpi_unit),
                    "forecast": german.kpi_value(forecast, kpi_unit),
                    "target_date": german.date(t_date),
                    "as_of": german.date(as_of),
                }
                for col, want in checks.items():
                    assert german.same_text(cells[col], want), (unit, kpi_id, col, cells[col], want)
            counts = dict(
                con.execute(
                    "select status, count(*) from marts.kpi_status where org_unit_id = ?"
                    " group by status",
                    [unit],
                ).fetchall()
            )
            assert shown["counts"]["red"] == german.num(counts.get("red", 0))
            assert shown["counts"]["amber"] == german.num(counts.get("amber", 0))
            measures = con.execute(
                "select count(*) from marts.actions a join marts.kpi_status s"
                " on s.kpi_id = a.kpi_id and s.org_unit_id = a.org_unit_id"
                " where a.org_unit_id = ? and s.status in ('red', 'amber')",
                [unit],
            ).fetchone()[0]
            assert shown["measures"] == measures
        published_at = con.execute("select max(published_at) from meta.publication").fetchone()[0]
    assert all(
        german.same_text(report["cockpit"][u]["publishedAt"], german.date_time(published_at))
        for u in seen["units"]
    )


def test_switching_the_unit_changes_the_values(seen):
    first, second = (seen["report"]["cockpit"][u]["rows"] for u in seen["units"])
    assert [r["cells"] for r in first] != [r["cells"] for r in second]
    kpi_tiles = [seen["report"]["kpiPage"][u]["tiles"] for u in seen["units"]]
    assert kpi_tiles[0] != kpi_tiles[1]


def test_kpi_page_shows_published_values_and_hides_suppressed_cells(seen, published_db: Path):
    kpi_id = seen["kpi_id"]
    with duckdb.connect(str(published_db), read_only=True) as con:
        name_de, kpi_unit, description = con.execute(
            "select name_de, unit, description_de from marts.kpi_definitions where kpi_id = ?",
            [kpi_id],
        ).fetchone()
        latest = con.execute(
            "select max(month) from marts.kpi_monthly where kpi_id = ?", [kpi_id]
        ).fetchone()[0]
        for unit in seen["units"]:
            shown = seen["report"]["kpiPage"][unit]
            assert shown["name"] == name_de
            assert german.same_text(shown["definition"], description)
            value, expected, target, forecast = con.execute(
                "select value, expected_value, target_value, forecast_at_target_date"
                " from marts.kpi_status where kpi_id = ? and org_unit_id = ?",
                [kpi_id, unit],
            ).fetchone()
            for key, want in (("value", value), ("expected", expected), ("target", target),
                              ("forecast", forecast)):
                assert german.same_text(shown["tiles"][key], german.kpi_value(want, kpi_unit))
            children = con.execute(
                "select u.name, k.value, coalesce(k.suppressed, false)"
                " from marts.org_units u left join marts.kpi_monthly k"
                " on k.org_unit_id = u.org_unit_id and k.kpi_id = ? and k.month = ?"
                " where u.parent_id = ? order by u.path",
                [kpi_id, latest, unit],
            ).fetchall()
            rows = {r["name"]: r for r in shown["breakdown"]}
            assert set(rows) == {name for name, _, _ in children}
            for name, child_value, suppressed in children:
                assert rows[name]["suppressed"] == suppressed, name
                if suppressed:
                    assert rows[name]["value"] == german.SUPPRESSED_TEXT
                    assert not re.search(r"\d", rows[name]["value"])
                else:
                    assert german.same_text(rows[name]["value"],
                                            german.kpi_value(child_value, kpi_unit))
    assert any(r["suppressed"] for r in seen["report"]["kpiPage"][seen["units"][1]]["breakdown"])


def test_screenshots_are_written(seen):
    for name in ("cockpit.png", f"kpi_{seen['kpi_id']}.png"):
        shot = seen["screenshots"] / name
        assert shot.is_file() and shot.stat().st_size > 20_000, shot
