"""Minimum group size: primary suppression and the no-differencing rule of docs/kpis.md."""

from __future__ import annotations

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
