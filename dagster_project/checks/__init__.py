"""The quality gate: GX suites from `expectations/`, SQL rules, results and summary.

`gate_checks` (the Dagster asset checks for `definitions.py`) is built on first access, so
that importing a helper such as `checks.summary` does not load the dbt manifest.
"""

from __future__ import annotations

from typing import Any

__all__ = ["gate_checks"]


def __getattr__(name: str) -> Any:
    if name == "gate_checks":
        from dagster_project.checks.asset_checks import default_gate_checks

        value = default_gate_checks()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
