"""dagster-dbt in the pipeline's process, without dbt-core: dbt builds in a process of its own.

When dbt-core can be imported, dagster-dbt imports its version, adapter base and result
types as it is imported itself (~0.7 s of every run's start, half of it dbt's adapter
machinery) for work this process never does: running dbt in-process, reading row counts
through dbt's adapter (`resources.OfflineDbtCliResource` loads none), selecting nodes with
dbt's selector (the assets take every node of the manifest). dbt runs in the waiting dbt
process (`transform/warm.py`, reached through `transform/relay.py`). dagster-dbt supports a process
without dbt-core, with its own node types and statuses (as for dbt Fusion); it takes that
path when `dbt.version` cannot be imported, which is what `sys.modules[...] = None` makes
an import do. The block is lifted once dagster-dbt is imported, so that anything else in
the process may import dbt.

Every module of this package takes dagster-dbt's names from here, so that whichever is
imported first, dagster-dbt is imported this way. What this rules out: a dbt selection
string evaluated in this process (`build_dbt_asset_selection(select="tag:…")` raises
dagster-dbt's "dbt-core not installed" error) — select by asset keys or groups instead.
"""

from __future__ import annotations

import sys

if "dagster_dbt" not in sys.modules and "dbt.version" not in sys.modules:
    sys.modules["dbt.version"] = None  # type: ignore[assignment]
    try:
        import dagster_dbt  # noqa: F401
    finally:
        del sys.modules["dbt.version"]

from dagster_dbt import (  # noqa: E402
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets  # noqa: E402
from dagster_dbt.metadata_set import DbtMetadataSet  # noqa: E402

__all__ = [
    "DagsterDbtTranslator",
    "DagsterDbtTranslatorSettings",
    "DbtCliResource",
    "DbtMetadataSet",
    "DbtProject",
    "dbt_assets",
    "get_manifest_and_translator_from_dbt_assets",
]
