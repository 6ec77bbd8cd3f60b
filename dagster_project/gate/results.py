"""What one gate check found: the row shape of `dq.gate_results`, shared by every rule.

Great Expectations suites, the SQL rules (quarantine share, channel map, rejected files,
freshness) and the summary all speak this one type, so a run report reads the same whatever
produced a line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"  # blocks the publication
WARN = "warn"  # reported, never blocks
SEVERITIES = (ERROR, WARN)


@dataclass(frozen=True)
class GateResult:
    """One check on one source or table; `message` is written for the analyst who fixes it."""

    check_name: str
    source_or_table: str
    severity: str
    passed: bool
    observed: str | None = None
    threshold: str | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"GateResult {self.check_name!r} on {self.source_or_table!r}: severity "
                f"{self.severity!r} is not one of {SEVERITIES}"
            )

    @property
    def blocks(self) -> bool:
        """True when this result alone stops the publication."""
        return not self.passed and self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> GateResult:
        fields = (
            "check_name",
            "source_or_table",
            "severity",
            "passed",
            "observed",
            "threshold",
            "message",
        )
        return cls(**{k: row.get(k) for k in fields})


def blocked(results: list[GateResult]) -> bool:
    """A run is blocked when any error-severity check failed."""
    return any(r.blocks for r in results)
