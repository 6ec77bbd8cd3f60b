"""The sample company generator: realistic exports of a fictional Mittelstand company
with planted truths (see `generate`), on the shipped sample's org tree or another one
(`SECOND_TREE`)."""

from .company import CollapsedRow, Company, QuarantinedRow
from .generator import generate
from .org import SAMPLE_TREE, SECOND_TREE, TREES, OrgTree

__all__ = ["CollapsedRow", "Company", "OrgTree", "QuarantinedRow", "SAMPLE_TREE",
           "SECOND_TREE", "TREES", "generate"]
