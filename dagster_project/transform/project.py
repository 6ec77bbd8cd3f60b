"""The dbt project as Dagster sees it, kept apart from the definitions.

`dagster-dbt project prepare-and-package --file dagster_project/transform/project.py` (run by
`make setup`) writes the manifest before `definitions.py` is imported; `prepare_if_dev`
re-parses under `dagster dev` so model edits show up without a manual step.
"""

from dagster_project.core.settings import DBT_PROJECT_DIR
from dagster_project.transform.dbt_import import DbtProject

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
