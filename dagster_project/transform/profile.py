"""The dbt profile of a run, written from its `Settings` into the data dir's dbt folder.

dbt runs as a process of its own and reads where to build from its profile. Written per run
from the settings (the build database, DuckDB's memory limit; on Spark the session's
configuration and folders), it needs nothing from the
environment, so a data dir set on the command line or in Dagster's launchpad is the one dbt
builds into. `dbt/profiles.yml` in the repo stays for parsing the project (`make setup`,
`dagster dev`) and for tests that point dbt at a database of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

from dagster_project.core.settings import Settings

PROFILE_NAME = "leitstand"  # dbt_project.yml's `profile:`


# Spark (LEITSTAND_ENGINE=spark): a local pyspark inside dbt's process, kept small (the
# machine's other work goes on beside it): two cores, a 2 GB driver, few shuffle partitions
# (the default 200 costs ~200 tasks per join on a few thousand rows), no web UI, UTC.
SPARK_MASTER = "local[2]"
SPARK_DRIVER_MEMORY = "2g"
SPARK_SHUFFLE_PARTITIONS = 2


def spark_parameters(settings: Settings) -> dict[str, str]:
    """The Spark session's configuration for `settings`' data dir."""
    spark = settings.spark_dir
    return {
        "spark.master": SPARK_MASTER,
        "spark.driver.memory": SPARK_DRIVER_MEMORY,
        "spark.sql.shuffle.partitions": str(SPARK_SHUFFLE_PARTITIONS),
        "spark.default.parallelism": str(SPARK_SHUFFLE_PARTITIONS),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(spark / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={spark / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark}",
        "spark.local.dir": str(spark / "tmp"),
    }


def profile_text(settings: Settings) -> str:
    """The profiles.yml for `settings` (YAML; JSON strings are valid YAML scalars)."""
    if settings.engine == "spark":
        parameters = "".join(f"        {json.dumps(k)}: {json.dumps(v)}\n"
                             for k, v in spark_parameters(settings).items())
        return (
            f"{PROFILE_NAME}:\n"
            "  target: spark\n"
            "  outputs:\n"
            "    spark:\n"
            "      type: spark\n"
            "      method: session\n"
            "      host: localhost\n"
            "      schema: default\n"
            "      threads: 1\n"
            "      server_side_parameters:\n"
            f"{parameters}"
        )
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
