"""The dashboard build's pure parts, without npm: the copy, the error search, the swap, the SQL.

Fast checks that run on every `pytest`; the full build and the browser are in
test_dashboards.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from dagster_project.core.settings import DASHBOARDS_DIR
from dagster_project.dashboards.build import (
    DashboardBuildError,
    _swap_in,
    find_query_errors,
    write_dashboards_copy,
)

from .published_fixture import write_published_fixture

PAGE_QUERY = re.compile(r"```sql (\w+)\n(.*?)```", re.S)


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


def _evidence_like(con, published: Path) -> None:
    """Views `leitstand.<table>` typed as Evidence's parquet: integers DOUBLE, dates TIMESTAMP."""
    con.execute(f"attach '{published}' as p (read_only)")
    con.execute("create schema leitstand")
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'p'"
    ).fetchall()
    for schema, table in tables:
        cols = con.execute(
            "select column_name, data_type from duckdb_columns()"
            " where database_name = 'p' and schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()
        exprs = []
        for name, kind in cols:
            if kind in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT"):
                exprs.append(f'cast("{name}" as double) as "{name}"')
            elif kind == "DATE":
                exprs.append(f'cast("{name}" as timestamp) as "{name}"')
            else:
                exprs.append(f'"{name}"')
        con.execute(
            f"create view leitstand.{table} as select {', '.join(exprs)} from p.{schema}.{table}"
        )


@pytest.mark.parametrize(
    "page", sorted(p.relative_to(DASHBOARDS_DIR) for p in (DASHBOARDS_DIR / "pages").rglob("*.md"))
)
def test_page_queries_run_on_the_published_schema(fixture_db, page):
    """Every page query runs on the published tables as Evidence hands them to the browser."""
    text = (DASHBOARDS_DIR / page).read_text(encoding="utf-8")
    queries = PAGE_QUERY.findall(text)
    assert queries, f"{page} has no queries"
    with duckdb.connect() as con:
        _evidence_like(con, fixture_db)
        for name, sql in queries:
            sql = sql.replace("${inputs.unit.value}", "VW").replace(
                "${params.kpi_id}", "training_coverage"
            )
            try:
                con.execute(sql).fetchall()
            except duckdb.Error as exc:
                pytest.fail(f"{page}: query {name} fails on the published schema: {exc}")
