"""The sample company generator: realistic exports of a fictional Mittelstand company
with planted truths (see `generate`)."""

from .company import CollapsedRow, Company, QuarantinedRow
from .generator import generate

__all__ = ["CollapsedRow", "Company", "QuarantinedRow", "generate"]
