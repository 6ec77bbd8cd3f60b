"""What an attacker can work out from a published file: exact linear algebra over the
relations that hold between published cells (docs/kpis.md, Privacy).

Every cell about people is a number x (a numerator, a denominator, a sum of scores). The
relations an attacker knows, each a linear equation between cells:

- **tree**: a parent's cell is its children's cells plus its own people's rest:
  w_P x_P = Σ_children w_C x_C + own_P, per KPI and month (w = 1 for sums; for a mean,
  such as a dimension score, w = the answers behind it, assumed known). own_P is a known 0
  where the parent has nobody of its own in that cell, an unknown otherwise;
- **linked**: a unit's total is the sum of its breakdown (Σ tools = the unit's
  tool_adoption_rate numerator and denominator), or n times the mean of its n parts (the
  maturity index = the mean of its dimension scores).

A unit's only breakdown cell (one tool, one dimension) is its total: computing it reveals
nothing that is not published, so it does not count as a leak (what it helps compute does).

Published cells are known numbers, suppressed cells and non-zero own rests unknowns. An
unknown is *derivable* when the equations fix its value whatever the others are: its unit
vector lies in the row space of the equations restricted to the unknowns. Computed exactly
with fractions (Gauss-Jordan), no tolerance.

The attacker here knows more than a real one would (the weights, which units have people
of their own): what is safe against this one is safe against them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from .org import OrgTree


@dataclass
class Cell:
    people: set
    suppressed: bool
    weight: int = 1


@dataclass
class Relations:
    """The cells of some groups (group -> unit -> Cell) and the equations between them."""

    tree: OrgTree
    groups: dict[Hashable, dict[str, Cell]] = field(default_factory=dict)
    # groups whose parent is no sum of its children (the maturity index: a mean of means)
    not_additive: set[Hashable] = field(default_factory=set)
    # (total group, breakdown groups, mean?) : per unit, total = Σ parts (or n × mean)
    links: list[tuple[Hashable, list[Hashable], bool]] = field(default_factory=list)

    def add_group(self, group: Hashable, cells: Mapping[str, Cell], additive: bool = True
                  ) -> None:
        self.groups[group] = dict(cells)
        if not additive:
            self.not_additive.add(group)

    def link(self, total: Hashable, parts: Iterable[Hashable], mean: bool = False) -> None:
        self.links.append((total, list(parts), mean))

    def own_people(self, group: Hashable, unit: str) -> set:
        cells = self.groups[group]
        children = [u for u in cells if self.tree.parent.get(u) == unit]
        inside = set().union(*(cells[c].people for c in children)) if children else set()
        return cells[unit].people - inside

    def relations(self) -> list[list[tuple[Hashable, Fraction]]]:
        """Each relation as [(member, coefficient)], its members cells (group, unit) and own
        rests ("own", group, unit), published or not; Σ coefficient × member = 0."""
        out = []
        for group, cells in self.groups.items():
            if group in self.not_additive:
                continue
            for unit, cell in cells.items():
                children = [u for u in cells if self.tree.parent.get(u) == unit]
                if not children:
                    continue
                relation = [((group, unit), Fraction(cell.weight))]
                relation += [((group, c), Fraction(-cells[c].weight)) for c in children]
                if self.own_people(group, unit):
                    relation.append((("own", group, unit), Fraction(-1)))
                out.append(relation)
        for total, parts, mean in self.links:
            for unit in self.groups[total]:
                present = [g for g in parts if unit in self.groups[g]]
                if present:
                    out.append([((total, unit), Fraction(len(present) if mean else 1))]
                               + [((g, unit), Fraction(-1)) for g in present])
        return out

    def unknown(self, member: Hashable) -> bool:
        if member[0] == "own":
            return True
        group, unit = member
        return self.groups[group][unit].suppressed

    def equations(self) -> list[dict[Hashable, Fraction]]:
        """Each relation as {unknown: coefficient} (the known cells move to the other side)."""
        out = []
        for relation in self.relations():
            eq = {m: c for m, c in relation if self.unknown(m)}
            if eq:
                out.append(eq)
        return out

    def sole_part(self, member: Hashable) -> bool:
        """Is `member` a unit's only breakdown cell (its value is the unit's total)?"""
        if member[0] == "own":
            return False
        group, unit = member
        for _total, parts, _mean in self.links:
            if group in parts:
                return sum(unit in self.groups[g] for g in parts) == 1
        return False

    def people_of(self, unknown: Hashable) -> int:
        if unknown[0] == "own":
            return len(self.own_people(unknown[1], unknown[2]))
        group, unit = unknown
        return len(self.groups[group][unit].people)


def derivable(equations: list[dict[Hashable, Fraction]]) -> set[Hashable]:
    """The unknowns whose value the equations fix (Gauss-Jordan over the rationals)."""
    pivots: dict[Hashable, dict[Hashable, Fraction]] = {}
    for eq in equations:
        row = dict(eq)
        for var in [v for v in row if v in pivots]:
            factor = row.get(var)
            if factor:
                for v, c in pivots[var].items():
                    row[v] = row.get(v, Fraction(0)) - factor * c
        row = {v: c for v, c in row.items() if c != 0}
        if not row:
            continue
        pivot = min(row, key=repr)
        scale = row[pivot]
        row = {v: c / scale for v, c in row.items()}
        for other in pivots.values():
            factor = other.get(pivot)
            if factor:
                for v, c in row.items():
                    other[v] = other.get(v, Fraction(0)) - factor * c
                for v in [v for v, c in other.items() if c == 0]:
                    del other[v]
        pivots[pivot] = row
    return {var for var, row in pivots.items() if list(row) == [var]}


def leaks(relations: Relations, min_group_size: int) -> list[tuple[Hashable, int]]:
    """Every suppressed cell that can be computed (but a unit's only breakdown cell: it is
    the unit's published total), and every own rest of 1..k-1 people that can; each with
    the number of people it is about."""
    found = []
    for unknown in sorted(derivable(relations.equations()), key=repr):
        people = relations.people_of(unknown)
        if unknown[0] == "own" and not 0 < people < min_group_size:
            continue
        if relations.sole_part(unknown):
            continue
        found.append((unknown, people))
    return found
