"""Dagster assets: ingest → dbt → publish → dashboards."""
