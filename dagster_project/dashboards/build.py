"""The pipeline's last step: the Evidence site of the published database, built or refreshed.

The site is a single-page app (`dashboards/svelte.config.js`, built with
`VITE_EVIDENCE_SPA=true`): its pages are built once from `dashboards/` and render in the
browser from the data files under `/data/` — parquet plus a manifest, written by Evidence's
`npm run sources` from a copy of the published database. So a publication reaches the
served site in one of three ways, chosen by the stamp every site carries
(`leitstand-site.json`: a hash of `dashboards/` and the publication it shows):

- **unchanged**: the same pages and the same publication — nothing is done;
- **data**: only the publication changed — `npm run sources` writes the new data files into
  a fresh folder, the page queries are run on them, and a copy of the current site (hard
  links) with the new `data/` is swapped in: seconds, not a page build;
- **full**: `dashboards/` changed, or there is no site yet — `npm run build` (minutes).

Evidence reads a copy of the published file, never the file itself: its Node connector is on
DuckDB 1.4 and cannot open a file written by DuckDB 2.x, so the copy is written with storage
version v1.4.0. A single-page app bakes no query result into its HTML, so a page query that
fails would only show in the browser; every refresh and build therefore runs each page's SQL
on the new data files first (`check_page_queries`). Only a site that passes replaces the
served one, with one atomic rename of a symlink: a failure leaves the previous site as it was.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.core.settings import DASHBOARDS_DIR, Settings

# The Evidence source (dashboards/sources/leitstand/) and the env var that points it at the copy.
EVIDENCE_SOURCE = "leitstand"
FILENAME_ENV = f"EVIDENCE_SOURCE__{EVIDENCE_SOURCE}__filename"
STORAGE_VERSION = "v1.4.0"
# Evidence bakes a failed query into prerendered HTML: its tables write "Error in Query", its
# inputs only DuckDB's error class ("Binder Error: ..."). Kept for any page that is prerendered.
QUERY_ERROR_PATTERN = re.compile(
    r"Error in Query|\b(?:Binder|Parser|Catalog|Conversion|Invalid Input|Out of Range"
    r"|Not implemented|Internal) Error\b"
)
BUILD_TIMEOUT_SECONDS = 20 * 60
# A line of progress at least this often while npm works.
HEARTBEAT_SECONDS = 15
STAMP_FILE = "leitstand-site.json"
# What a full build depends on: everything in dashboards/ but what npm and Evidence write there.
NOT_PAGES = {"node_modules", ".evidence", "build", ".svelte-kit"}
PAGE_QUERY = re.compile(r"```sql (\w+)\n(.*?)```", re.S)
INPUT_REF = re.compile(r"\$\{\s*inputs\.(\w+)\.value\s*\}")
PARAM_REF = re.compile(r"\$\{\s*params\.(\w+)\s*\}")

Progress = Callable[[str], None]


class DashboardBuildError(RuntimeError):
    """The site could not be built; the previous site (if any) is still the one served."""


@dataclass(frozen=True)
class SiteBuild:
    """What `build_dashboards` did: `mode` is "full", "data" or "unchanged"."""

    site: Path
    mode: str
    seconds: float
    pages: int


def dashboards_copy_path(settings: Settings) -> Path:
    """Where the Evidence-readable copy of the published database lives."""
    return settings.data_dir / "dashboards" / "leitstand_v1.duckdb"


def site_path(settings: Settings) -> Path:
    """The served site: a symlink to the latest good build under `<data>/sites/`."""
    return settings.data_dir / "site"


def write_dashboards_copy(published_db: Path, target: Path) -> None:
    """Copy every table of the published file into `target` in DuckDB 1.4's storage format.

    Written to a temp file first, so a reader never sees half a copy.
    """
    if not published_db.is_file():
        raise DashboardBuildError(
            f"No published database at {published_db}: run `leitstand run` first "
            "(the dashboards are built from the last publication)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{published_db}' as published (read_only)")
        con.execute(f"attach '{tmp}' as copy (storage_version '{STORAGE_VERSION}')")
        con.execute("copy from database published to copy")
    finally:
        con.close()
    os.replace(tmp, target)


def pages_hash(dashboards_dir: Path = DASHBOARDS_DIR) -> str:
    """A hash of what the pages are built from (pages, components, sources, config, lockfile)."""
    digest = hashlib.sha256()
    for path in sorted(dashboards_dir.rglob("*")):
        rel = path.relative_to(dashboards_dir)
        if rel.parts[0] in NOT_PAGES or not path.is_file():
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def publication_id(published_db: Path) -> str:
    """The publication a database holds: its latest run id and time (meta.publication)."""
    if not published_db.is_file():
        raise DashboardBuildError(
            f"No published database at {published_db}: run `leitstand run` first "
            "(the dashboards are built from the last publication)."
        )
    with duckdb.connect(str(published_db), read_only=True) as con:
        row = con.execute(
            "select run_id, cast(published_at as varchar) from meta.publication"
            " order by published_at desc limit 1"
        ).fetchone()
    return "none" if row is None else f"{row[0]}@{row[1]}"


def read_stamp(site: Path) -> dict:
    """The stamp of a built site ({} for none or an unreadable one)."""
    try:
        return json.loads((site / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _evidence_env(copy: Path, data_dir: Path | None = None) -> dict[str, str]:
    """The environment for npm: the source file, SPA mode, telemetry off, heap for the build."""
    source_dir = DASHBOARDS_DIR / "sources" / EVIDENCE_SOURCE
    env = dict(os.environ)
    env.update(
        {
            # The connector joins the filename to the source directory, so it must be relative.
            FILENAME_ENV: os.path.relpath(copy, source_dir),
            "VITE_EVIDENCE_SPA": "true",
            "DO_NOT_TRACK": "1",
            "SEND_ANONYMOUS_USAGE_STATS": "no",
            "NODE_OPTIONS": "--max-old-space-size=4096",
        }
    )
    if data_dir is not None:
        env["EVIDENCE_DATA_DIR"] = str(data_dir)
    return env


def _run_npm(
    args: list[str], env: dict[str, str], step: str, progress: Progress | None = None
) -> str:
    """Run one npm script in dashboards/; a heartbeat line while it works; raise on failure."""
    started = time.monotonic()
    proc = subprocess.Popen(
        ["npm", "run", "--silent", *args],
        cwd=DASHBOARDS_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    chunks: list[str] = []
    while True:  # wait in steps of HEARTBEAT_SECONDS, a progress line after each
        try:
            out, _ = proc.communicate(timeout=HEARTBEAT_SECONDS)
            chunks.append(out or "")
            break
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if elapsed > BUILD_TIMEOUT_SECONDS:
                proc.kill()
                proc.communicate()
                raise DashboardBuildError(
                    f"Evidence {step} did not finish within {BUILD_TIMEOUT_SECONDS} s."
                ) from None
            if progress:
                progress(f"{step} … {elapsed:.0f} s")
    output = "".join(chunks)
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-25:])
        raise DashboardBuildError(
            f"Evidence {step} failed (exit {proc.returncode}) in {DASHBOARDS_DIR}:\n{tail}"
        )
    return output


def find_query_errors(build_dir: Path) -> list[str]:
    """Pages of a built site that carry a baked-in query error ("Error in Query" and kin)."""
    return sorted(
        str(page.relative_to(build_dir))
        for page in build_dir.rglob("*.html")
        if QUERY_ERROR_PATTERN.search(page.read_text(encoding="utf-8", errors="replace"))
    )


def page_queries(dashboards_dir: Path = DASHBOARDS_DIR) -> list[tuple[str, str, str]]:
    """(page, query name, SQL) of every ```sql block of every page."""
    out = []
    for page in sorted((dashboards_dir / "pages").rglob("*.md")):
        rel = str(page.relative_to(dashboards_dir))
        for name, sql in PAGE_QUERY.findall(page.read_text(encoding="utf-8")):
            out.append((rel, name, sql))
    return out


def check_page_queries(data_dir: Path, dashboards_dir: Path = DASHBOARDS_DIR) -> list[str]:
    """Run every page query on the data files the browser will read; return the failures.

    `data_dir` is what `npm run sources` wrote (manifest.json and parquet). Inputs are set to
    the root org unit (`${inputs.unit.value}`), `${params.kpi_id}` to the first KPI: the
    queries' text is checked against the data's tables and columns, as the browser runs it.
    """
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    errors = []
    with duckdb.connect() as con:
        for source, files in manifest.get("renderedFiles", {}).items():
            con.execute(f'create schema if not exists "{source}"')
            for url in files:
                rel = Path(*Path(url).parts[2:])  # static/data/<source>/<table>/<table>.parquet
                table = rel.stem
                path = data_dir / rel
                quoted = str(path).replace("'", "''")
                con.execute(
                    f'create view "{source}"."{table}" as select * from read_parquet(\'{quoted}\')'
                )
        root = con.execute(
            f"select org_unit_id from {EVIDENCE_SOURCE}.org_units"
            " where parent_id is null order by path limit 1"
        ).fetchone()
        kpi = con.execute(
            f"select kpi_id from {EVIDENCE_SOURCE}.kpi_definitions order by kpi_id limit 1"
        ).fetchone()
        values = {"unit": root[0] if root else ""}
        params = {"kpi_id": kpi[0] if kpi else ""}
        for page, name, sql in page_queries(dashboards_dir):
            text = INPUT_REF.sub(lambda m: values.get(m.group(1), ""), sql)
            text = PARAM_REF.sub(lambda m: params.get(m.group(1), ""), text)
            try:
                con.execute(text).fetchall()
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0]
                errors.append(f"{page}: query {name}: {first}")
    return errors


@contextmanager
def _build_lock():
    """One Evidence build at a time: they share dashboards/.evidence and dashboards/build."""
    lock_dir = DASHBOARDS_DIR / ".evidence"
    lock_dir.mkdir(exist_ok=True)
    with open(lock_dir / "leitstand-build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_in(new_site: Path, link: Path) -> None:
    """Point `link` at `new_site` in one atomic rename; remove the builds no longer served."""
    tmp_link = link.with_name(link.name + ".new")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(new_site.relative_to(link.parent), target_is_directory=True)
    if link.exists() and not link.is_symlink():  # a plain directory from an older layout
        shutil.rmtree(link)
    os.replace(tmp_link, link)
    for old in new_site.parent.iterdir():
        if old != new_site:
            shutil.rmtree(old, ignore_errors=True)


def _new_site_dir(settings: Settings) -> Path:
    sites = settings.data_dir / "sites"
    sites.mkdir(parents=True, exist_ok=True)
    return sites / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"


def _extract_data(copy: Path, target: Path, progress: Progress | None) -> None:
    """`npm run sources` into `target` (a fresh folder): the data files of the publication."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    # A killed sources run leaves this cache corrupt; without it every source runs again.
    shutil.rmtree(DASHBOARDS_DIR / ".evidence" / "meta", ignore_errors=True)
    _run_npm(["sources", "--", "--strict"], _evidence_env(copy, target), "sources", progress)
    if not (target / "manifest.json").is_file():
        raise DashboardBuildError(
            f"Evidence sources wrote no manifest.json into {target}: check "
            f"{DASHBOARDS_DIR / 'sources' / EVIDENCE_SOURCE} and the published tables."
        )
    empty = fill_empty_tables(target)
    if empty:
        _say(progress, f"tables without rows (empty data files written): {', '.join(empty)}")


# Evidence's column types (<table>.schema.json) as the parquet types it writes for them.
EVIDENCE_TYPES = {"string": "varchar", "date": "timestamp", "number": "double",
                  "boolean": "boolean"}


def fill_empty_tables(data_dir: Path) -> list[str]:
    """Write an empty parquet file for each table of the manifest that Evidence left without
    one, and return their names.

    `npm run sources` writes no parquet for a table without rows (a company without comments
    on its values, a run without a quarantined row) but lists it in the manifest, so the
    browser would fail to load it and every page query on it. The empty file has the columns
    and types of the table's schema file, as Evidence writes them for a table with rows.
    """
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    filled = []
    with duckdb.connect() as con:
        for files in manifest.get("renderedFiles", {}).values():
            for url in files:
                path = data_dir / Path(*Path(url).parts[2:])
                if path.is_file():
                    continue
                schema_file = path.with_name(path.stem + ".schema.json")
                if not schema_file.is_file():
                    raise DashboardBuildError(
                        f"Evidence wrote neither {path.name} nor {schema_file.name} into "
                        f"{path.parent}: check the source query of table {path.stem} in "
                        f"{DASHBOARDS_DIR / 'sources' / EVIDENCE_SOURCE}."
                    )
                columns = json.loads(schema_file.read_text(encoding="utf-8"))
                exprs = ", ".join(
                    f'cast(null as {EVIDENCE_TYPES.get(c.get("evidenceType"), "varchar")})'
                    f' as "{c["name"]}"' for c in columns
                )
                quoted = str(path).replace("'", "''")
                con.execute(f"copy (select {exprs} limit 0) to '{quoted}' (format parquet)")
                filled.append(path.stem)
    return filled


def _check_data(data: Path) -> None:
    broken = check_page_queries(data)
    if broken:
        raise DashboardBuildError(
            "A page query fails on the new data: " + "; ".join(broken[:5])
            + f" — fix the page SQL in {DASHBOARDS_DIR / 'pages'} (it runs on DuckDB 0.9 in "
            "the browser) or the published table it reads."
        )


def _localise(site: Path) -> None:
    """The HTML shell in German: `<html lang="de">` and a German title before the app loads."""
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        text = text.replace('<html lang="en">', '<html lang="de">', 1)
        if "<title>" not in text:
            text = text.replace("</head>", "\t<title>Leitstand</title>\n\t</head>", 1)
        page.write_text(text, encoding="utf-8")


def _stamp(site: Path, pages: str, publication: str) -> None:
    (site / STAMP_FILE).write_text(
        json.dumps({"pages": pages, "publication": publication}, indent=2) + "\n",
        encoding="utf-8",
    )


def choose_mode(stamp: dict, pages: str, publication: str, has_site: bool, full: bool) -> str:
    """What a site needs: "unchanged", "data" (only the publication changed) or "full"."""
    if full or not has_site or stamp.get("pages") != pages:
        return "full"
    if stamp.get("publication") == publication:
        return "unchanged"
    return "data"


def _say(progress: Progress | None, text: str) -> None:
    if progress:
        progress(text)


def build_dashboards(
    settings: Settings, progress: Progress | None = None, full: bool = False
) -> SiteBuild:
    """Bring the served site up to the last publication: nothing, new data, or a full build.

    `progress` receives a line per step (and a heartbeat during npm); `full` forces a page
    build. Raises DashboardBuildError with what failed and how to fix it; the previous site
    stays.
    """
    if not (DASHBOARDS_DIR / "node_modules" / "@evidence-dev" / "evidence").is_dir():
        raise DashboardBuildError(
            f"Evidence is not installed in {DASHBOARDS_DIR}: run `make setup` "
            "(or `npm install --no-save` in dashboards/)."
        )
    started = time.monotonic()
    link = site_path(settings)
    with _build_lock():
        publication = publication_id(settings.published_db)
        pages = pages_hash()
        current = link.resolve() if link.is_dir() else None
        stamp = read_stamp(current) if current else {}
        mode = choose_mode(stamp, pages, publication, current is not None, full)
        if mode == "unchanged":
            _say(progress, "site already shows this publication: nothing to do")
            return SiteBuild(link, "unchanged", time.monotonic() - started, len(page_routes()))
        copy = dashboards_copy_path(settings)
        write_dashboards_copy(settings.published_db, copy)
        data = settings.data_dir / "dashboards" / f"data-{os.getpid()}"
        new_site = _new_site_dir(settings)
        try:
            if mode == "data":
                _say(progress, "only the data changed: extracting the new data files")
                _extract_data(copy, data, progress)
                _say(progress, "checking every page query on the new data")
                _check_data(data)
                shutil.copytree(current, new_site, copy_function=os.link,
                                ignore=shutil.ignore_patterns("data", STAMP_FILE))
            else:
                why = "no site yet" if current is None else (
                    "forced" if full else "dashboards/ changed")
                _say(progress, f"building the pages ({why}; takes a minute or two)")
                _extract_data(copy, data, progress)
                _check_data(data)
                build_dir = DASHBOARDS_DIR / "build"
                shutil.rmtree(build_dir, ignore_errors=True)
                _run_npm(["build"], _evidence_env(copy, data), "build", progress)
                broken = find_query_errors(build_dir)
                if broken:
                    raise DashboardBuildError(
                        "Evidence built pages with a failed query (\"Error in Query\"): "
                        f"{', '.join(broken[:10])} in {build_dir}; fix the page SQL in "
                        f"{DASHBOARDS_DIR / 'pages'} (it runs on DuckDB 0.9 in the browser)."
                    )
                shutil.copytree(build_dir, new_site, ignore=shutil.ignore_patterns("data"))
                _localise(new_site)
            shutil.copytree(data, new_site / "data")
            _stamp(new_site, pages, publication)
        except BaseException:
            shutil.rmtree(new_site, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(data, ignore_errors=True)
        _swap_in(new_site, link)
    seconds = time.monotonic() - started
    _say(progress, f"site swapped in ({mode}) in {seconds:.1f} s")
    return SiteBuild(link, mode, seconds, len(page_routes()))


def page_routes(dashboards_dir: Path = DASHBOARDS_DIR) -> list[str]:
    """The page files of dashboards/pages, each a route of the site (a single-page app has
    one HTML file for all of them)."""
    pages = dashboards_dir / "pages"
    return sorted(str(p.relative_to(dashboards_dir)) for p in pages.rglob("*.md"))
