"""Data at rest: the data dir is its owner's alone.

The build database holds the true numbers of every suppressed cell and the exports' rows;
the run reports, dbt's artifacts and logs name files, rows and values. So the data dir is
0700 and everything in it 0600 (folders 0700) — except what is published anyway: the
published file, the dashboards' copy of it and the built sites (`PUBLIC`). A run works
under the umask 077, so whatever it (and dbt, and DuckDB) creates is owner-only from the
start; `secure_data_dir` also tightens what an older version left readable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_project.core.settings import Settings

OWNER_ONLY_UMASK = 0o077
PUBLISHED_FILE_MODE = 0o644
# names directly in the data dir that hold published content only
PUBLIC = frozenset({"leitstand.duckdb", "dashboards", "site", "sites"})


@contextmanager
def owner_only_files() -> Iterator[None]:
    """Create files owner-only (umask 077) for the length of a `with` block.

    The umask is the process's: threads and child processes started meanwhile share it."""
    previous = os.umask(OWNER_ONLY_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def _tighten(path: Path) -> None:
    if path.is_symlink():
        return
    if path.is_dir():
        path.chmod(0o700)
        for child in path.iterdir():
            _tighten(child)
    elif path.exists():
        path.chmod(0o600)


def secure_data_dir(settings: Settings) -> None:
    """Make the data dir 0700 and all in it but the published content owner-only."""
    data = settings.data_dir
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    data.chmod(0o700)
    public = PUBLIC | {settings.published_db.name}
    for entry in data.iterdir():
        if entry.name not in public:
            _tighten(entry)
