"""The dbt project as Dagster sees it, kept apart from the definitions.

`dagster-dbt project prepare-and-package --file dagster_project/transform/project.py` (run by
`make setup`) writes the manifest before the definitions are imported. Under `dagster dev`
the project is parsed again when the code location loads, so that model edits show up
without a manual step: with this project's dbt resource (offline, no adapter in this
process, `resource.py`), not dagster-dbt's default one, which would try to load dbt's
adapter in a process that has no dbt-core (`dbt_import.py`) and log a traceback.
"""

from dagster_project.core.settings import DBT_PROJECT_DIR
from dagster_project.transform.dbt_import import DbtProject
from dagster_project.transform.resource import OfflineDbtCliResource, dbt_executable

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_under_dagster_dev(project: DbtProject) -> None:
    """`dbt parse` into the project's target folder when `dagster dev` loads the code (what
    dagster-dbt's `prepare_if_dev` does)."""
    if not project.preparer.using_dagster_dev():
        return
    resource = OfflineDbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),
                                     dbt_executable=dbt_executable())
    resource.cli(["parse", "--quiet"], target_path=project.target_path).wait()


prepare_under_dagster_dev(dbt_project)
