"""An independent pandas reading of docs/kpis.md: what the published tables must contain.

Written straight from the spec, without SQL and without code shared with the dbt project,
so that the pipeline and the oracle can only agree by both being right. Every function takes
raw-layer-shaped frames (`dict[str, DataFrame]`, table name -> frame, as
`Company.raw_frames()` gives them or as read back from a build database).
"""

from .kpis import expected_kpi_monthly, expected_maturity_by_dimension, expected_tool_adoption
from .status import expected_kpi_status

__all__ = [
    "expected_kpi_monthly", "expected_kpi_status", "expected_maturity_by_dimension",
    "expected_tool_adoption",
]
