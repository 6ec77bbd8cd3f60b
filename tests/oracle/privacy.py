"""Minimum group size: primary suppression and the no-differencing rule of docs/kpis.md."""

from __future__ import annotations

from .derivable import Cell, Relations, derivable
from .org import OrgTree


def suppressed_units(people: dict[str, set], tree: OrgTree, min_group_size: int,
                     hidden_before: set[str] = frozenset()) -> set[str]:
    """Units to suppress among the cells of one (kpi, month); `people` maps each cell's
    unit to the set of people (employees or responses) in its denominator. Units in
    `hidden_before` start hidden (parts of a cell that was hidden elsewhere)."""
    published = {u for u, persons in people.items()
                 if len(persons) >= min_group_size and u not in hidden_before}
    while True:
        order = sorted(published, key=lambda u: (tree.depth(u), u))
        for top in order:
            children = _published_directly_below(top, published, tree)
            covered = set().union(*(people[c] for c in children)) if children else set()
            rest = len(people[top] - covered)
            if 0 < rest < min_group_size and children:
                victim = min(children, key=lambda c: (len(people[c]), c))
                published.discard(victim)
                break
        else:
            return set(people) - published


def _published_directly_below(top: str, published: set[str], tree: OrgTree) -> list[str]:
    """Published cells strictly below `top` with no published cell between them and `top`."""
    below = [u for u in published if tree.is_below(u, top)]
    return [u for u in below
            if not any(tree.is_below(u, mid) and tree.is_below(mid, top) for mid in below)]


def linked_suppressed(breakdown: dict[str, dict[str, set]], total_hidden: set[str],
                      tree: OrgTree, min_group_size: int,
                      start: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """The linked-tables rule for the breakdown of one total cell per unit (one KPI and
    month): `breakdown` maps each breakdown value (a tool, a dimension) to its cells, unit ->
    the people in it; `total_hidden` are the units whose total cell is suppressed. Returns,
    per breakdown value, the units whose cell is suppressed.

    Beside a published total the hidden breakdown cells of a unit are none, or at least two
    that together hold >= min_group_size people; the tree rule holds per breakdown value;
    both repeat until nothing more is suppressed. `start`: cells hidden already."""
    hidden = {value: {u for u in cells if u in total_hidden} | set((start or {}).get(value, ()))
              for value, cells in breakdown.items()}
    units = {u for cells in breakdown.values() for u in cells}
    while True:
        before = {value: set(units_) for value, units_ in hidden.items()}
        for value, cells in breakdown.items():
            hidden[value] = suppressed_units(cells, tree, min_group_size, hidden[value])
        for unit in units - total_hidden:
            here = sorted(value for value in breakdown if unit in breakdown[value])
            while True:
                gone = [value for value in here if unit in hidden[value]]
                people = set().union(*(breakdown[value][unit] for value in gone)) if gone \
                    else set()
                if (not gone or len(gone) == len(here)
                        or (len(gone) >= 2 and len(people) >= min_group_size)):
                    break
                shown = [value for value in here if unit not in hidden[value]]
                victim = min(shown, key=lambda value: (len(breakdown[value][unit]), value))
                hidden[victim].add(unit)
        if hidden == before:
            return hidden


def closed_suppression(total: dict[str, set], total_hidden: set[str],
                       breakdown: dict[str, dict[str, set]], tree: OrgTree, min_group_size: int,
                       additive_total: bool, mean: bool,
                       weights: dict[str, dict[str, int]] | None = None) -> dict[str, set[str]]:
    """The linked rules, then the closing audit: while the published cells determine a
    suppressed cell (not a unit's only breakdown cell) or an own rest of 1..k-1 people,
    suppress a published breakdown cell next to the first of them, and apply the rules again.

    `total`: unit -> people of the total cells; `weights`: per breakdown value and unit, what
    a cell counts in its parent (the answers behind a mean), 1 when not given."""
    k = min_group_size
    hidden = linked_suppressed(breakdown, total_hidden, tree, k)
    while True:
        relations = Relations(tree)
        relations.add_group(("total",), {u: Cell(p, u in total_hidden) for u, p in total.items()},
                            additive=additive_total)
        for value, cells in breakdown.items():
            relations.add_group(("part", value), {
                u: Cell(p, u in hidden[value], (weights or {}).get(value, {}).get(u, 1))
                for u, p in cells.items()})
        relations.link(("total",), [("part", value) for value in breakdown], mean=mean)
        leak = _first_leak(relations, k)
        if leak is None:
            return hidden
        victim = _victim(relations, leak, k)
        if victim is None:
            return hidden
        (_, value), unit = victim
        hidden[value].add(unit)
        hidden = linked_suppressed(breakdown, total_hidden, tree, k, hidden)


def _order(relations: Relations, member) -> tuple:
    """Totals first, then breakdown values by key; by depth and unit; own rests last."""
    own = member[0] == "own"
    group, unit = (member[1], member[2]) if own else member
    value = group[1] if group[0] == "part" else ""
    return (own, group[0] == "part", value, relations.tree.depth(unit), unit)


def _leaks(relations: Relations, k: int) -> list:
    found = []
    for member in derivable(relations.equations()):
        if member[0] == "own":
            if 0 < relations.people_of(member) < k:
                found.append(member)
        elif not relations.sole_part(member):
            found.append(member)
    return found


def _first_leak(relations: Relations, k: int):
    found = _leaks(relations, k)
    return min(found, key=lambda m: _order(relations, m)) if found else None


def _victim(relations: Relations, leak, k: int):
    def shown_part(member) -> bool:
        return (member[0] != "own" and member[0][0] == "part"
                and not relations.groups[member[0]][member[1]].suppressed)

    near = {m for relation in relations.relations() if leak in dict(relation)
            for m, _ in relation if shown_part(m)}
    if not near:
        near = {(g, u) for g, cells in relations.groups.items() for u in cells
                if shown_part((g, u))}
    ranked = sorted(near, key=lambda m: (len(relations.groups[m[0]][m[1]].people),
                                         m[0][1], m[1]))
    for member in ranked:
        cell = relations.groups[member[0]][member[1]]
        cell.suppressed = True
        still = leak in derivable(relations.equations())
        cell.suppressed = False
        if not still:
            return member
    return ranked[0] if ranked else None
