"""Running the dbt project: the project, its profile, the plan of what to rebuild, the
waiting dbt process and its relay (speed), the build as Dagster events, and dbt's results."""
