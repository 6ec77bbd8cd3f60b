"""`python -m dagster_project.cli` is the `leitstand` command."""

from dagster_project.cli.main import program

program()
