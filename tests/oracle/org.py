"""The org tree: subtrees (a unit includes all its descendants) and depths."""

from __future__ import annotations

import pandas as pd


class OrgTree:
    def __init__(self, org_units: pd.DataFrame) -> None:
        self.parent = {
            str(row.org_unit_id): (None if pd.isna(row.parent_id) or row.parent_id == ""
                                   else str(row.parent_id))
            for row in org_units.itertuples()
        }
        self.units = sorted(self.parent)

    def ancestors(self, unit: str) -> list[str]:
        """`unit` and everything above it, bottom-up."""
        chain = [unit]
        while self.parent.get(chain[-1]) is not None:
            chain.append(self.parent[chain[-1]])
        return chain

    def depth(self, unit: str) -> int:
        return len(self.ancestors(unit)) - 1

    def subtree(self, unit: str) -> set[str]:
        return {u for u in self.units if unit in self.ancestors(u)}

    def is_below(self, unit: str, above: str) -> bool:
        """True if `unit` lies strictly below `above`."""
        return unit != above and above in self.ancestors(unit)
