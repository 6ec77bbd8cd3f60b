"""Fixtures of the operations tests: a project-like Dagster home and a published file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dagster_project.core.settings import REPO_ROOT

PROJECT_DAGSTER_YAML = REPO_ROOT / ".dagster_home" / "dagster.yaml"


@pytest.fixture
def dagster_home(tmp_path, monkeypatch) -> Path:
    """A fresh Dagster home holding a copy of the project's `dagster.yaml` (not a variant)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home
