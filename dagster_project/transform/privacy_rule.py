"""The privacy rule of docs/kpis.md, applied to every cell that describes people.

Primary suppression hides a cell with population < min_group_size. The no-differencing
(tree) rule then repeats, deterministically: take the first published cell P (by depth,
then org_unit_id) whose residue r(P) -- its people not inside any published cell strictly
below it -- is between 1 and min_group_size - 1, and suppress, among the published cells
right below P (no published cell in between), the one with the smallest population (ties:
the smallest org_unit_id). People belong to exactly one org unit, so r(P) is P's population
minus the populations of those nearest published cells below it.

Breakdowns of a people KPI (the tools of tool_adoption_rate, the dimensions of the
maturity index) add up to their total cell, so they follow the linked-tables rule too:

- a breakdown cell is suppressed wherever its unit's total cell is;
- the tree rule runs per breakdown value (per tool and month, per wave and dimension);
- for every unit whose total cell is published, the suppressed breakdown cells are none,
  or at least two that together cover >= min_group_size distinct people; else the unit's
  smallest published breakdown cell (ties: the smallest key) is suppressed, until they are
  (or all are);
- the tree rule and the linked rule repeat until neither suppresses anything more. A total
  cell is never suppressed because of its breakdown;
- then the closing audit: the published cells of a total and its breakdown, with the
  relations between them (a parent is its children plus its own people's rest, per
  breakdown value and for an additive total; a unit's total is the sum of its breakdown, or
  n times their mean), must not determine a suppressed cell (a unit's only breakdown cell
  excepted: it equals its published total) nor an own rest of 1..min_group_size - 1
  people. While one is determined, take the first such cell (totals, then breakdown
  keys, by depth and org_unit_id; own rests last) and suppress, among the published
  breakdown cells in a relation with it, the one with the smallest population (ties: key,
  then org_unit_id) whose suppression leaves it undetermined (else the smallest); then
  the tree and linked rules run again. Linear algebra modulo a
  large prime decides "determined" exactly (with a negligible chance of a false alarm,
  never of a miss: a rank can only drop modulo a prime).

Iterative set logic is clearer here than in recursive SQL. It is plain Python over plain
rows, engine-free: the pipeline applies it between the two parts of the dbt build
(`transform/privacy.py`), the same code whichever engine builds the models.
"""

from __future__ import annotations

from collections import defaultdict

SMALLEST_ALLOWED_GROUP = 3
# breakdowns whose total is their sum (and adds up through the tree); the others' total is
# the mean of their parts (the maturity index: a mean of dimension means, not additive)
SUM_OF_BREAKDOWN = {"tool_adoption"}


def nearest_published_ancestor(unit, published, parent_of):
    """The closest strict ancestor of `unit` that is a published cell, or None."""
    ancestor = parent_of.get(unit)
    while ancestor is not None:
        if ancestor in published:
            return ancestor
        ancestor = parent_of.get(ancestor)
    return None


def suppressed_units(population_by_unit, parent_of, depth_of, min_group_size, hidden_before=()):
    """Units whose cell the tree rule suppresses, for one group of cells (one kpi and month).

    `hidden_before`: units whose cell is hidden already (the rule goes on from there).
    """
    published = {
        unit
        for unit, people in population_by_unit.items()
        if people >= min_group_size and unit not in hidden_before
    }
    while True:
        below = {unit: [] for unit in published}
        for unit in published:
            ancestor = nearest_published_ancestor(unit, published, parent_of)
            if ancestor is not None:
                below[ancestor].append(unit)
        violator = None
        for unit in sorted(published, key=lambda u: (depth_of[u], u)):
            residue = population_by_unit[unit] - sum(population_by_unit[d] for d in below[unit])
            if 0 < residue < min_group_size:
                violator = unit
                break
        if violator is None:
            return set(population_by_unit) - published
        victim = min(below[violator], key=lambda u: (population_by_unit[u], u))
        published.discard(victim)


def linked_suppressed(breakdown, total_hidden, parent_of, depth_of, min_group_size, covered,
                      hidden=None):
    """The tree and linked rules for the breakdown of one total (one kpi and month).

    `breakdown`: key -> {unit: population} (one tool's or dimension's cells);
    `total_hidden`: units whose total cell is suppressed (or missing);
    `covered(unit, keys)`: distinct people in the cells `keys` of `unit` together;
    `hidden`: key -> units suppressed already (the rules go on from there).
    Returns key -> the units whose cell of that key is suppressed.
    """
    hidden = {key: {u for u in cells if u in total_hidden} | set((hidden or {}).get(key, ()))
              for key, cells in breakdown.items()}
    keys_of = defaultdict(list)
    for key in sorted(breakdown):
        for unit in breakdown[key]:
            keys_of[unit].append(key)
    while True:
        changed = False
        for key, cells in breakdown.items():
            now = suppressed_units(cells, parent_of, depth_of, min_group_size, hidden[key])
            changed |= now != hidden[key]
            hidden[key] = now
        for unit in sorted(set(keys_of) - set(total_hidden)):
            keys = keys_of[unit]
            while True:
                gone = [key for key in keys if unit in hidden[key]]
                if not gone or len(gone) == len(keys):
                    break
                if len(gone) >= 2 and enough_people(
                        unit, gone, breakdown, min_group_size, covered):
                    break
                victim = min((key for key in keys if unit not in hidden[key]),
                             key=lambda key: (breakdown[key][unit], key))
                hidden[victim].add(unit)
                changed = True
        if not changed:
            return hidden


def enough_people(unit, keys, breakdown, min_group_size, covered):
    """Do the cells `keys` of `unit` cover >= min_group_size distinct people together?"""
    populations = [breakdown[key][unit] for key in keys]
    if max(populations) >= min_group_size:
        return True
    if sum(populations) < min_group_size:
        return False
    return covered(unit, keys) >= min_group_size


# ----------------------------------------------------------------------- the closing audit

PRIME = 2**61 - 1  # arithmetic modulo a Mersenne prime: exact, and fast on Python ints


def determined(equations, order):
    """The unknowns whose value `equations` ({unknown: int coefficient}, = a known number)
    fix: Gauss-Jordan modulo PRIME; an unknown is fixed when a reduced row holds it alone."""
    pivots = {}
    for equation in equations:
        row = {v: c % PRIME for v, c in equation.items() if c % PRIME}
        for var in [v for v in row if v in pivots]:
            factor = row.get(var)
            if factor:
                for v, c in pivots[var].items():
                    row[v] = (row.get(v, 0) - factor * c) % PRIME
        row = {v: c for v, c in row.items() if c}
        if not row:
            continue
        pivot = min(row, key=order)
        inverse = pow(row[pivot], PRIME - 2, PRIME)
        row = {v: c * inverse % PRIME for v, c in row.items()}
        for other in pivots.values():
            factor = other.get(pivot)
            if factor:
                for v, c in row.items():
                    other[v] = (other.get(v, 0) - factor * c) % PRIME
                for v in [v for v, c in other.items() if not c]:
                    del other[v]
        pivots[pivot] = row
    return {var for var, row in pivots.items() if len(row) == 1}


class TotalWithBreakdown:
    """One total (one kpi and month) with its breakdown, for the closing audit.

    Cells are ("cell", key, unit) with key None for the total; own rests ("own", key, unit).
    """

    def __init__(self, total, breakdown, weights, parent_of, depth_of, min_group_size,
                 additive_total, mean_link):
        self.total, self.breakdown, self.weights = total, breakdown, weights
        self.parent_of, self.depth_of, self.k = parent_of, depth_of, min_group_size
        self.mean_link = mean_link
        self.groups = ([None] if additive_total else []) + sorted(breakdown)
        self.keys_at = defaultdict(list)
        for key in sorted(breakdown):
            for unit in breakdown[key]:
                self.keys_at[unit].append(key)
        self.relations = self._relations()

    def cells(self, key):
        return self.total if key is None else self.breakdown[key]

    def weight(self, key, unit):
        return 1 if key is None else self.weights[key][unit]

    def own_people(self, key, unit):
        cells = self.cells(key)
        return cells[unit] - sum(p for u, p in cells.items() if self.parent_of.get(u) == unit)

    def _relations(self):
        """Each relation as [(member, coefficient)]: members are cells and own rests."""
        relations = []
        for key in self.groups:
            cells = self.cells(key)
            children = defaultdict(list)
            for unit in cells:
                if self.parent_of.get(unit) in cells:
                    children[self.parent_of[unit]].append(unit)
            for unit in sorted(children):
                relation = [(("cell", key, unit), self.weight(key, unit))]
                relation += [(("cell", key, c), -self.weight(key, c)) for c in children[unit]]
                if self.own_people(key, unit) > 0:
                    relation.append((("own", key, unit), -1))
                relations.append(relation)
        for unit in sorted(self.total):
            keys = self.keys_at.get(unit, [])
            if keys:
                times = len(keys) if self.mean_link else 1
                relations.append([(("cell", None, unit), times)]
                                 + [(("cell", key, unit), -1) for key in keys])
        return relations

    def order(self, member):
        kind, key, unit = member
        return (kind == "own", key is not None, key or "", self.depth_of.get(unit, 0), unit)

    def fixed(self, total_hidden, hidden):
        """The suppressed cells and own rests that the published cells determine."""
        def unknown(member):
            kind, key, unit = member
            if kind == "own":
                return True
            return unit in (total_hidden if key is None else hidden[key])

        equations = [{m: c for m, c in relation if unknown(m)} for relation in self.relations]
        return determined([e for e in equations if e], self.order)

    def leaking(self, member):
        """Is `member`, when determined, a leak? (Not a unit's only breakdown cell: it is
        its published total; not an own rest of 0 or >= min_group_size people.)"""
        kind, key, unit = member
        if kind == "own":
            return 0 < self.own_people(key, unit) < self.k
        return key is None or len(self.keys_at[unit]) > 1

    def first_leak(self, total_hidden, hidden):
        """The first suppressed cell or small own rest the published cells determine."""
        leaks = [m for m in self.fixed(total_hidden, hidden) if self.leaking(m)]
        return min(leaks, key=self.order) if leaks else None

    def victim(self, leak, total_hidden, hidden):
        """The published breakdown cell to suppress against `leak`: among those in a
        relation with it (else among all published breakdown cells), the smallest whose
        suppression alone leaves `leak` undetermined, else the smallest."""
        def published(member):
            kind, key, unit = member
            return kind == "cell" and key is not None and unit not in hidden[key]

        near = {m for relation in self.relations if leak in dict(relation)
                for m, _ in relation if published(m)}
        if not near:
            near = {("cell", key, unit) for key in self.breakdown
                    for unit in self.breakdown[key] if published(("cell", key, unit))}
        ranked = sorted(near, key=lambda m: (self.breakdown[m[1]][m[2]], m[1], m[2]))
        for member in ranked:
            trial = {key: units | ({member[2]} if key == member[1] else set())
                     for key, units in hidden.items()}
            if leak not in self.fixed(total_hidden, trial):
                return member
        return ranked[0] if ranked else None


def breakdown_suppressed(audit, total_hidden, parent_of, depth_of, min_group_size, covered):
    """The tree and linked rules, then the closing audit (see the module docstring)."""
    hidden = linked_suppressed(audit.breakdown, total_hidden, parent_of, depth_of,
                               min_group_size, covered)
    while True:
        leak = audit.first_leak(total_hidden, hidden)
        victim = None if leak is None else audit.victim(leak, total_hidden, hidden)
        if victim is None:  # nothing left to hide: the privacy audit model reports it
            return hidden
        hidden[victim[1]].add(victim[2])
        hidden = linked_suppressed(audit.breakdown, total_hidden, parent_of, depth_of,
                                   min_group_size, covered, hidden)


def resolved_min_group_size(rows):
    """The one configured value, refusing what the privacy promise does not allow.

    `rows`: (min_group_size, configured_value) of `int_min_group_size_resolved`.
    """
    values = [r[0] for r in rows]
    configured = [r[1] for r in rows]
    if len(values) != 1 or values[0] is None:
        raise ValueError(
            f"settings.csv: min_group_size {configured!r} is not one whole number; "
            "write a single row `min_group_size;5` (or remove it for the default 5)"
        )
    if int(values[0]) < SMALLEST_ALLOWED_GROUP:
        raise ValueError(
            f"settings.csv: min_group_size {int(values[0])} is below {SMALLEST_ALLOWED_GROUP}; "
            f"docs/kpis.md never allows groups smaller than {SMALLEST_ALLOWED_GROUP} - raise it"
        )
    return int(values[0])


