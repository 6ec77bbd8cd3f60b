"""The dashboard build's parts that need no npm: the copy, the page queries on the data files,
the choice between nothing / new data / full build, the swap, and the server.

Fast checks that run on every `pytest`; the full build and the browser are in
test_dashboards.py.
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from pathlib import Path

import duckdb
import pytest

from dagster_project.core.settings import DASHBOARDS_DIR, load_settings
from dagster_project.dashboards.build import (
    STAMP_FILE,
    DashboardBuildError,
    _swap_in,
    build_dashboards,
    check_page_queries,
    choose_mode,
    find_query_errors,
    page_queries,
    pages_hash,
    publication_id,
    write_dashboards_copy,
)
from dagster_project.dashboards.serve import last_run_status, make_server

from .published_fixture import write_published_fixture


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    return write_published_fixture(tmp_path_factory.mktemp("published") / "leitstand.duckdb")


def test_copy_holds_every_published_table_with_its_rows(fixture_db, tmp_path):
    copy = tmp_path / "dashboards" / "leitstand_v1.duckdb"
    write_dashboards_copy(fixture_db, copy)
    tables = "select schema_name || '.' || table_name from duckdb_tables() order by 1"
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        published = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                     for (t,) in con.execute(tables).fetchall()}
    with duckdb.connect(str(copy), read_only=True) as con:
        copied = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                  for (t,) in con.execute(tables).fetchall()}
    assert copied == published
    assert {"marts.projects", "marts.milestones", "marts.tool_adoption"} <= set(copied)


def test_copy_of_a_missing_publication_says_what_to_do(tmp_path):
    with pytest.raises(DashboardBuildError, match="leitstand run"):
        write_dashboards_copy(tmp_path / "nope.duckdb", tmp_path / "copy.duckdb")


def test_query_errors_are_found_in_any_form(tmp_path):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "index.html").write_text("<p>40,9 %</p>")
    (tmp_path / "index.html").write_text("<span>Error: Binder Error: no column x</span>")
    (tmp_path / "kpi.html").write_text("<p>Error in Query org_tree</p>")
    assert find_query_errors(tmp_path) == ["index.html", "kpi.html"]


def test_swap_replaces_the_site_and_drops_older_builds(tmp_path):
    sites = tmp_path / "sites"
    link = tmp_path / "site"
    old, new = sites / "a", sites / "b"
    for build in (old, new):
        build.mkdir(parents=True)
        (build / "index.html").write_text(build.name)
        _swap_in(build, link)
        assert (link / "index.html").read_text() == build.name
    assert link.is_symlink()
    assert not old.exists()


def evidence_data(published: Path, target: Path) -> Path:
    """The data files `npm run sources` writes for the site, written here without npm:
    parquet per table (integers as DOUBLE, dates as TIMESTAMP, as Evidence types them) and
    manifest.json."""
    files = []
    with duckdb.connect(str(published), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        for schema, table in tables:
            name = {"publication": "publication", "gate_results": "gate_results",
                    "quarantine": "quarantine"}.get(table, table)
            cols = con.execute(
                "select column_name, data_type from duckdb_columns()"
                " where schema_name = ? and table_name = ?", [schema, table]).fetchall()
            exprs = []
            for col, kind in cols:
                if kind in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT"):
                    exprs.append(f'cast("{col}" as double) as "{col}"')
                elif kind == "DATE":
                    exprs.append(f'cast("{col}" as timestamp) as "{col}"')
                else:
                    exprs.append(f'"{col}"')
            out = target / "leitstand" / name / f"{name}.parquet"
            out.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy (select {', '.join(exprs)} from {schema}.{table})"
                        f" to '{out}' (format parquet)")
            files.append(f"static/data/leitstand/{name}/{name}.parquet")
    (target / "manifest.json").write_text(json.dumps({"renderedFiles": {"leitstand": files}}))
    return target


@pytest.fixture(scope="module")
def fixture_data(fixture_db, tmp_path_factory) -> Path:
    return evidence_data(fixture_db, tmp_path_factory.mktemp("data"))


def test_every_page_query_runs_on_the_data_files(fixture_data):
    """Every page's SQL runs on the data files as the browser gets them (root unit, a KPI)."""
    assert len(page_queries()) > 20
    assert check_page_queries(fixture_data) == []


def test_a_page_query_on_a_missing_column_is_named(fixture_data, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "broken.md").write_text(
        "```sql ok\nselect name from leitstand.org_units\n```\n"
        "```sql bad\nselect nope from leitstand.kpi_status"
        " where org_unit_id = '${inputs.unit.value}'\n```\n")
    errors = check_page_queries(fixture_data, dashboards_dir=tmp_path)
    assert len(errors) == 1 and errors[0].startswith("pages/broken.md: query bad:")
    assert "nope" in errors[0]


def test_no_page_names_a_unit(fixture_db):
    """Pages take their unit from the URL or the tree's root, never from a literal id."""
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        ids = [u for (u,) in con.execute("select org_unit_id from marts.org_units").fetchall()]
    from dagster_project.sample import SAMPLE_TREE

    ids += [u for u, _, _ in SAMPLE_TREE.units]
    for page in (DASHBOARDS_DIR / "pages").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert "defaultValue" not in text, page
        for unit in ids:
            assert f"'{unit}'" not in text and f'"{unit}"' not in text, (page, unit)


@pytest.mark.parametrize(
    ("stamp", "has_site", "full", "mode"),
    [
        ({"pages": "p", "publication": "a"}, True, False, "unchanged"),
        ({"pages": "p", "publication": "a"}, True, True, "full"),
        ({"pages": "p", "publication": "b"}, True, False, "data"),
        ({"pages": "q", "publication": "a"}, True, False, "full"),
        ({"pages": "q", "publication": "b"}, True, False, "full"),
        ({}, True, False, "full"),
        ({}, False, False, "full"),
    ],
)
def test_mode_follows_what_changed(stamp, has_site, full, mode):
    assert choose_mode(stamp, "p", "a", has_site, full) == mode


def test_a_site_of_this_publication_and_these_pages_is_left_alone(fixture_db, tmp_path):
    """Nothing to do (no npm, no new site) when the served site shows this publication."""
    settings = load_settings(data_dir=tmp_path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixture_db, settings.published_db)
    site = tmp_path / "sites" / "one"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<html lang=\"de\"></html>")
    stamp = {"pages": pages_hash(), "publication": publication_id(settings.published_db)}
    (site / STAMP_FILE).write_text(json.dumps(stamp))
    _swap_in(site, tmp_path / "site")
    lines = []
    built = build_dashboards(settings, progress=lines.append)
    assert built.mode == "unchanged" and built.site.resolve() == site
    assert lines == ["site already shows this publication: nothing to do"]


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url) as res:
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), b""


def test_server_serves_the_app_for_every_page_and_never_stale_data(tmp_path):
    site = tmp_path / "sites" / "one"
    (site / "data").mkdir(parents=True)
    (site / "_app" / "immutable").mkdir(parents=True)
    (site / "index.html").write_text("<html lang=\"de\">app</html>")
    (site / "data" / "manifest.json").write_text("{}")
    (site / "_app" / "immutable" / "a.js").write_text("x")
    _swap_in(site, tmp_path / "site")
    server = make_server(load_settings(data_dir=tmp_path), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        status, headers, body = _get(f"{base}/kpi/enps/?unit=X")
        assert status == 200 and body == b"<html lang=\"de\">app</html>"
        status, headers, _ = _get(f"{base}/data/manifest.json")
        assert status == 200 and headers["Cache-Control"] == "no-cache"
        status, headers, _ = _get(f"{base}/_app/immutable/a.js")
        assert status == 200 and "Cache-Control" not in headers
        assert _get(f"{base}/data/missing.parquet")[0] == 404
        status, _, body = _get(f"{base}/status/last-run.json")
        assert status == 200 and json.loads(body)["blocked"] is False
    finally:
        server.shutdown()
        server.server_close()


def test_last_run_status_names_the_blocking_checks_without_their_messages(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    passed = {"check_name": "freshness", "source_or_table": "erp_orders", "severity": "warn",
              "passed": True, "observed": "x", "threshold": "y", "message": "fine"}
    failed = {"check_name": "quarantine_share", "source_or_table": "erp_orders",
              "severity": "error", "passed": False, "observed": "3 of 10 rows (30 %)",
              "threshold": "≤ 1 %", "message": "row 7 holds 'secret'"}
    (runs / "a.json").write_text(json.dumps({"run_id": "a", "updated_at": "2026-12-01T06:00:00",
                                             "blocked": False, "results": [passed]}))
    later = runs / "b.json"
    later.write_text(json.dumps({"run_id": "b", "updated_at": "2026-12-02T06:00:00",
                                 "blocked": True, "results": [passed, failed]}))
    import os

    os.utime(later, (later.stat().st_atime, later.stat().st_mtime + 10))
    status = last_run_status(runs)
    assert status["run_id"] == "b" and status["blocked"] is True
    assert status["failed"] == [{k: failed[k] for k in ("check_name", "source_or_table",
                                                        "severity", "observed", "threshold")}]
    assert "secret" not in json.dumps(status)
