"""The Dagster wiring: the one `Definitions`, its resources, job, schedule and sensor, and
the assets and checks as thin adapters over the stages (ingest, gate, transform, publish,
dashboards). Nothing below `defs/` imports from here."""
