"""The dbt profile of a run, written from its `Settings` into the data dir's dbt folder.

dbt runs as a process of its own and reads where to build from its profile. Written per run
from the settings (the build database, DuckDB's memory limit), it needs nothing from the
environment, so a data dir set on the command line or in Dagster's launchpad is the one dbt
builds into. `dbt/profiles.yml` in the repo stays for parsing the project (`make setup`,
`dagster dev`) and for tests that point dbt at a database of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

from dagster_project.core.settings import Settings

PROFILE_NAME = "leitstand"  # dbt_project.yml's `profile:`


def profile_text(settings: Settings) -> str:
    """The profiles.yml for `settings` (YAML; JSON strings are valid YAML scalars)."""
    return (
        f"{PROFILE_NAME}:\n"
        "  target: build\n"
        "  outputs:\n"
        "    build:\n"
        "      type: duckdb\n"
        f"      path: {json.dumps(str(settings.build_db))}\n"
        "      threads: 1\n"
        "      settings:\n"
        f"        memory_limit: {json.dumps(settings.memory_limit)}\n"
    )


def write_profile(settings: Settings) -> Path:
    """Write the profile into `settings.dbt_target_dir` (when it changed); return the folder."""
    folder = settings.dbt_target_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    text = profile_text(settings)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return folder
