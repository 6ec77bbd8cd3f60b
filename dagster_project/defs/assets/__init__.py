"""Dagster assets: ingest → dbt → publish → dashboards, each a thin adapter over its stage."""
