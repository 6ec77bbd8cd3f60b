"""Fixtures of the gate tests: a throwaway build database in tmp_path."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def con(tmp_path):
    """A file-backed build database (like the pipeline's), closed after the test."""
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    yield connection
    connection.close()
