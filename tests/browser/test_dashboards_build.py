"""The dashboard build's parts that need no npm: the copy, the page queries on the data files,
the choice between nothing / new data / full build, the swap, and the server.

Fast checks that run on every `pytest`; the full build and the browser are in
test_dashboards.py.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import urllib.request
from pathlib import Path

import duckdb
import pytest

from dagster_project.core.settings import DASHBOARDS_DIR, load_settings
from dagster_project.dashboards.build import (
    INPUT_REF,
    PARAM_REF,
    STAMP_FILE,
    DashboardBuildError,
    _swap_in,
    build_dashboards,
    check_page_queries,
    choose_mode,
    fill_empty_tables,
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


def _page_query(page: str, name: str) -> str:
    return next(sql for p, n, sql in page_queries() if p == page and n == name)


def _run_page_query(data: Path, page: str, name: str, unit: str, kpi: str) -> list[dict]:
    """A page's query, as the browser runs it, on the data files (the unit and KPI set)."""
    sql = INPUT_REF.sub(lambda m: unit, _page_query(page, name))
    sql = PARAM_REF.sub(lambda m: kpi, sql)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect() as con:
        con.execute("create schema leitstand")
        for url in manifest["renderedFiles"]["leitstand"]:
            path = data / Path(*Path(url).parts[2:])
            con.execute(f"create view leitstand.{path.stem} as select * from '{path}'")
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_a_comment_on_a_suppressed_cell_is_kept_out_by_the_page_queries(fixture_db, tmp_path):
    """Even if marts.kpi_comments held a comment on a suppressed cell (the mart leaves such
    comments out), the cockpit's and the KPI page's SQL show it nowhere; a comment beside a
    published value is shown, the newest per KPI on the cockpit."""
    db = tmp_path / "leitstand.duckdb"
    shutil.copy(fixture_db, db)
    with duckdb.connect(str(db)) as con:
        kpi, unit, month = con.execute(
            "select kpi_id, org_unit_id, month from marts.kpi_monthly where not suppressed"
            " order by month desc, kpi_id, org_unit_id limit 1").fetchone()
        s_kpi, s_unit, s_month = con.execute(
            "select kpi_id, org_unit_id, month from marts.kpi_monthly where suppressed"
            " order by month desc, kpi_id, org_unit_id limit 1").fetchone()
        con.execute("insert into marts.kpi_comments values"
                    " (?, ?, ?, 'Controlling', 'älter', null),"
                    " (?, ?, ?, 'Controlling', 'sichtbar', null),"
                    " (?, ?, ?, 'Personal', 'verborgen', null)",
                    [kpi, unit, (month - dt.timedelta(days=1)).replace(day=1), kpi, unit, month,
                     s_kpi, s_unit, s_month])
    data = evidence_data(db, tmp_path / "data")
    shown = _run_page_query(data, "pages/kpi/[kpi_id].md", "comments", unit, kpi)
    assert [r["comment"] for r in shown] == ["sichtbar", "älter"]
    assert _run_page_query(data, "pages/kpi/[kpi_id].md", "comments", s_unit, s_kpi) == []
    cockpit = {r["kpi_id"]: r for r in _run_page_query(data, "pages/index.md", "cockpit",
                                                        unit, kpi)}
    assert cockpit[kpi]["comment_text"] == "sichtbar"
    assert cockpit[kpi]["comment_author"] == "Controlling"
    hidden = _run_page_query(data, "pages/index.md", "cockpit", s_unit, s_kpi)
    assert [r["comment_text"] for r in hidden if r["comment_text"]] == []


def test_an_empty_table_gets_an_empty_data_file_with_its_columns(tmp_path):
    """Evidence writes no parquet for a table without rows (only its schema file); the build
    writes an empty one, so the pages' queries on it run (and find nothing)."""
    folder = tmp_path / "leitstand" / "kpi_comments"
    folder.mkdir(parents=True)
    (folder / "kpi_comments.schema.json").write_text(json.dumps([
        {"name": "kpi_id", "evidenceType": "string"}, {"name": "month", "evidenceType": "date"},
        {"name": "n", "evidenceType": "number"}, {"name": "ok", "evidenceType": "boolean"}]))
    url = "static/data/leitstand/kpi_comments/kpi_comments.parquet"
    (tmp_path / "manifest.json").write_text(json.dumps({"renderedFiles": {"leitstand": [url]}}))
    assert fill_empty_tables(tmp_path) == ["kpi_comments"]
    with duckdb.connect() as con:
        cols = con.execute(f"describe select * from '{folder / 'kpi_comments.parquet'}'").fetchall()
    assert [(c[0], c[1]) for c in cols] == [("kpi_id", "VARCHAR"), ("month", "TIMESTAMP"),
                                            ("n", "DOUBLE"), ("ok", "BOOLEAN")]
    assert fill_empty_tables(tmp_path) == []  # nothing left to fill
    (folder / "kpi_comments.schema.json").unlink()
    (folder / "kpi_comments.parquet").unlink()
    with pytest.raises(DashboardBuildError, match="kpi_comments"):
        fill_empty_tables(tmp_path)


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
