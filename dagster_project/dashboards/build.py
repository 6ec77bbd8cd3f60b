"""The pipeline's last step: build the Evidence site from the published database, and serve it.

Evidence reads a copy of the published file, never the file itself: its Node connector is on
DuckDB 1.4 and cannot open a file written by DuckDB 2.x, so the copy is written with storage
version v1.4.0. The build runs `sources --strict` and `build:strict`, and because Evidence
bakes a failed page query into the HTML (exit code 0), the output is also searched for
"Error in Query". Only a build that passes all three replaces the served site, and it does so
with one atomic rename of a symlink: a failed build leaves the previous site exactly as it was.
"""

import fcntl
import os
import re
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.core.settings import DASHBOARDS_DIR, Settings

# The Evidence source (dashboards/sources/leitstand/) and the env var that points it at the copy.
EVIDENCE_SOURCE = "leitstand"
FILENAME_ENV = f"EVIDENCE_SOURCE__{EVIDENCE_SOURCE}__filename"
STORAGE_VERSION = "v1.4.0"
# Evidence bakes a failed query into the HTML: its tables write "Error in Query", its inputs
# only DuckDB's error class ("Binder Error: ...").
QUERY_ERROR_PATTERN = re.compile(
    r"Error in Query|\b(?:Binder|Parser|Catalog|Conversion|Invalid Input|Out of Range"
    r"|Not implemented|Internal) Error\b"
)
BUILD_TIMEOUT_SECONDS = 20 * 60

class DashboardBuildError(RuntimeError):
    """The site could not be built; the previous site (if any) is still the one served."""


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


def _evidence_env(copy: Path) -> dict[str, str]:
    """The environment for npm: the source file, telemetry off, enough heap for the build."""
    source_dir = DASHBOARDS_DIR / "sources" / EVIDENCE_SOURCE
    env = dict(os.environ)
    env.update(
        {
            # The connector joins the filename to the source directory, so it must be relative.
            FILENAME_ENV: os.path.relpath(copy, source_dir),
            "DO_NOT_TRACK": "1",
            "SEND_ANONYMOUS_USAGE_STATS": "no",
            "NODE_OPTIONS": "--max-old-space-size=4096",
        }
    )
    return env


def _run_npm(args: list[str], env: dict[str, str], step: str) -> str:
    """Run one npm script in dashboards/; raise with the tail of its output when it fails."""
    try:
        proc = subprocess.run(
            ["npm", "run", "--silent", *args],
            cwd=DASHBOARDS_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        raise DashboardBuildError(
            f"Evidence {step} did not finish within {BUILD_TIMEOUT_SECONDS} s."
        ) from exc
    output = proc.stdout + proc.stderr
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


def build_dashboards(settings: Settings) -> Path:
    """Build the site from the published database and swap it in; return the served path.

    Raises DashboardBuildError with what failed and how to fix it; the previous site stays.
    """
    if not (DASHBOARDS_DIR / "node_modules" / "@evidence-dev" / "evidence").is_dir():
        raise DashboardBuildError(
            f"Evidence is not installed in {DASHBOARDS_DIR}: run `make setup` "
            "(or `npm install --no-save` in dashboards/)."
        )
    copy = dashboards_copy_path(settings)
    with _build_lock():
        write_dashboards_copy(settings.published_db, copy)
        env = _evidence_env(copy)
        # A killed sources run leaves this cache corrupt; it is rebuilt in about a second.
        shutil.rmtree(DASHBOARDS_DIR / ".evidence" / "meta", ignore_errors=True)
        _run_npm(["sources", "--", "--strict"], env, "sources --strict")
        _run_npm(["build:strict"], env, "build:strict")
        build_dir = DASHBOARDS_DIR / "build"
        broken = find_query_errors(build_dir)
        if broken:
            raise DashboardBuildError(
                "Evidence built pages with a failed query (\"Error in Query\"): "
                f"{', '.join(broken[:10])} in {build_dir}; fix the page SQL in "
                f"{DASHBOARDS_DIR / 'pages'} (it runs on DuckDB 0.9 in the browser)."
            )
        sites = settings.data_dir / "sites"
        sites.mkdir(parents=True, exist_ok=True)
        new_site = sites / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        shutil.copytree(build_dir, new_site)
        _swap_in(new_site, site_path(settings))
    return site_path(settings)
