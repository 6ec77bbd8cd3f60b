"""The privacy rule of docs/kpis.md as the pipeline applies it (transform/privacy_rule.py),
on small trees: each case of the rule -- primary suppression, no differencing, the
deterministic choice -- is pinned without a database.
"""

from __future__ import annotations

import pytest

from dagster_project.transform import privacy_rule as RULE
from tests.kpi_models.raw_layer import SAMPLE_ORG_UNITS

PARENT_OF = {unit: parent for unit, _, parent in SAMPLE_ORG_UNITS}


def depth(unit: str) -> int:
    steps = 0
    while PARENT_OF[unit] is not None:
        unit = PARENT_OF[unit]
        steps += 1
    return steps


DEPTH_OF = {unit: depth(unit) for unit in PARENT_OF}


def suppress(population_by_unit, k=5):
    return RULE.suppressed_units(population_by_unit, PARENT_OF, DEPTH_OF, k)


def test_primary_suppression_hides_small_cells_only():
    cells = {"HAT": 20, "VT": 10, "VT-IN": 5, "VT-EX": 5, "PR": 10, "PR-W1": 4, "PR-W2": 6}
    # PR-W1 (4) is small; then PR's residue is 4 -> PR-W2 (the only published child) goes too.
    assert suppress(cells) == {"PR-W1", "PR-W2"}


def test_residue_between_one_and_k_suppresses_the_smallest_child():
    # VT has 8 people; VT-IN (6) published, VT-EX (2) primary-suppressed: VT-IN would
    # reveal VT-EX's 2 by subtraction, so VT-IN is suppressed as well.
    cells = {"HAT": 13, "VT": 8, "VT-IN": 6, "VT-EX": 2, "PR": 5, "PR-W1": 5}
    assert suppress(cells) == {"VT-IN", "VT-EX"}


def test_ties_on_population_go_to_the_smallest_org_unit_id():
    # VT-SV (3) is small, so VT's residue is 3; VT-IN and VT-EX tie on 6 -> VT-EX goes.
    cells = {"VT": 15, "VT-IN": 6, "VT-EX": 6, "VT-SV": 3}
    assert suppress(cells) == {"VT-SV", "VT-EX"}


def test_parents_are_visited_top_down_and_the_rule_repeats():
    # HAT 25 = VT 12 + PR 10 + EK 3. EK is small -> HAT's residue is 3 -> the smaller of
    # VT/PR (PR, 10) goes; HAT's nearest published cells below are then VT and PR-W1/PR-W2
    # (5 + 5), residue 3 again -> the smallest, PR-W1 (tie with PR-W2, smaller id), goes;
    # now PR-W2 alone leaves 8 -> fine.
    cells = {"HAT": 25, "VT": 12, "VT-IN": 12, "PR": 10, "PR-W1": 5, "PR-W2": 5, "EK": 3}
    assert suppress(cells) == {"EK", "PR", "PR-W1"}


def test_every_published_cell_leaves_zero_or_at_least_k_people():
    cells = {"HAT": 31, "VT": 14, "VT-IN": 7, "VT-EX": 5, "VT-SV": 2, "PR": 9,
             "PR-W1": 5, "PR-W2": 4, "VW": 8, "VW-HR": 3, "VW-IT": 5}
    hidden = suppress(cells)
    published = set(cells) - hidden
    for unit in published:
        below = [d for d in published if d != unit and unit in ancestors(d)]
        nearest = [d for d in below if not any(e in below and e in ancestors(d) for e in below)]
        residue = cells[unit] - sum(cells[d] for d in nearest)
        assert residue == 0 or residue >= 5, (unit, residue, sorted(hidden))
    assert all(cells[unit] >= 5 for unit in published)


def test_minimum_group_size_is_a_parameter():
    cells = {"VT": 7, "VT-IN": 4, "VT-EX": 3}
    assert suppress(cells, k=5) == {"VT-IN", "VT-EX"}
    assert suppress(cells, k=3) == set()


def ancestors(unit):
    found = []
    while PARENT_OF[unit] is not None:
        unit = PARENT_OF[unit]
        found.append(unit)
    return found


@pytest.mark.parametrize("configured", [[2], [None], [1, 7]])
def test_min_group_size_refuses_values_below_three_or_unreadable(configured):
    with pytest.raises(ValueError, match="min_group_size"):
        RULE.resolved_min_group_size([(value, "x") for value in configured])


def test_min_group_size_of_three_and_more_is_taken():
    assert RULE.resolved_min_group_size([(3, "3")]) == 3
    assert RULE.resolved_min_group_size([(7, None)]) == 7


# ------------------------------------------------------------------ linked tables

# A tree of its own (no sample ids): TOP over LEFT (over L1, L2) and RIGHT.
TREE = {"TOP": None, "LEFT": "TOP", "L1": "LEFT", "L2": "LEFT", "RIGHT": "TOP"}
TREE_DEPTH = {"TOP": 0, "LEFT": 1, "RIGHT": 1, "L1": 2, "L2": 2}


def people(unit, tool, n):
    return {f"{unit}/{tool}/{i}" for i in range(n)}


def breakdown_of(leaf_people):
    """key -> unit -> population, the covered() callback and unit -> total population, from
    leaf-level people (`.members`: key -> unit -> the people themselves)."""
    members = {}
    for (unit, key), persons in leaf_people.items():
        chain = unit
        while chain is not None:
            members.setdefault(key, {}).setdefault(chain, set()).update(persons)
            chain = TREE[chain]
    populations = {key: {u: len(p) for u, p in cells.items()} for key, cells in members.items()}

    def covered(unit, keys):
        return len(set().union(*(members[key][unit] for key in keys)))

    totals = {}
    for cells in members.values():
        for unit, persons in cells.items():
            totals.setdefault(unit, set()).update(persons)
    covered.members, covered.totals = members, totals
    return populations, covered, {u: len(p) for u, p in totals.items()}


def linked(leaf_people, total_hidden=(), k=5):
    populations, covered, _ = breakdown_of(leaf_people)
    return RULE.linked_suppressed(populations, set(total_hidden), TREE, TREE_DEPTH, k, covered)


def test_one_hidden_tool_beside_a_published_total_takes_a_second_one_with_it():
    # L1 holds 2 ERP people (hidden) and 8 Teams people: its total (10) is published, so
    # Teams(L1) = total(L1) - ERP(L1) would give ERP away unless Teams goes too.
    hidden = linked({("L1", "erp"): people("L1", "erp", 2), ("L1", "teams"): people("L1", "t", 8),
                     ("L2", "erp"): people("L2", "erp", 9), ("L2", "teams"): people("L2", "t", 9),
                     ("RIGHT", "erp"): people("R", "erp", 9),
                     ("RIGHT", "teams"): people("R", "t", 9)})
    assert "L1" in hidden["erp"] and "L1" in hidden["teams"]
    for unit in ("TOP", "LEFT", "L2", "RIGHT"):
        hidden_here = [key for key in hidden if unit in hidden[key]]
        assert len(hidden_here) != 1, (unit, hidden)


def test_hidden_tools_that_cover_too_few_people_together_take_a_third():
    # the same 3 people hold ERP and DMS in L1: two hidden cells of 3 people in all
    same = people("L1", "x", 3)
    hidden = linked({("L1", "erp"): same, ("L1", "dms"): same,
                     ("L1", "teams"): people("L1", "t", 9),
                     ("L2", "teams"): people("L2", "t", 9),
                     ("RIGHT", "teams"): people("R", "t", 9)})
    assert {key for key in hidden if "L1" in hidden[key]} == {"erp", "dms", "teams"}


def test_a_hidden_total_hides_its_whole_breakdown():
    hidden = linked({("L1", "erp"): people("L1", "erp", 9), ("L1", "teams"): people("L1", "t", 9),
                     ("L2", "teams"): people("L2", "t", 9)}, total_hidden={"L1"})
    assert "L1" in hidden["erp"] and "L1" in hidden["teams"]


# The case the tree and linked rules alone leave open (docs/kpis.md, the closing audit):
# they hide erp in L1, LEFT and RIGHT, dms in L1 and LEFT, crm in RIGHT. Then TOP(crm) -
# LEFT(crm) gives RIGHT(crm) (TOP has nobody of its own), RIGHT's total - RIGHT(crm) -
# RIGHT(dms) gives RIGHT(erp), and TOP(erp) - RIGHT(erp) the 2 people of L1's erp.
LEAKY = {("L1", "erp"): 2, ("L1", "crm"): 10, ("L1", "dms"): 5,
         ("RIGHT", "erp"): 6, ("RIGHT", "crm"): 6, ("RIGHT", "dms"): 7}


def leaky_case():
    leaf = {(unit, key): people(unit, key, n) for (unit, key), n in LEAKY.items()}
    return breakdown_of(leaf)


def computable(covered, hidden, total_hidden=frozenset(), k=5):
    """What the oracle's exact audit finds computable (tests/oracle/derivable.py)."""
    import pandas as pd

    from tests.oracle.derivable import Cell, Relations, leaks
    from tests.oracle.org import OrgTree

    tree = OrgTree(pd.DataFrame([(u, u, p) for u, p in TREE.items()],
                                columns=["org_unit_id", "name", "parent_id"]))
    relations = Relations(tree)
    relations.add_group("total", {u: Cell(p, u in total_hidden)
                                  for u, p in covered.totals.items()})
    for key, cells in covered.members.items():
        relations.add_group(key, {u: Cell(p, u in hidden[key]) for u, p in cells.items()})
    relations.link("total", list(covered.members))
    return leaks(relations, k)


def test_the_tree_and_linked_rules_alone_leave_a_small_cell_computable():
    populations, covered, totals = leaky_case()
    hidden = RULE.linked_suppressed(populations, set(), TREE, TREE_DEPTH, 5, covered)
    assert computable(covered, hidden)


def test_the_closing_audit_leaves_nothing_computable():
    populations, covered, totals = leaky_case()
    weights = {key: dict.fromkeys(cells, 1) for key, cells in populations.items()}
    audit = RULE.TotalWithBreakdown(totals, populations, weights, TREE, TREE_DEPTH, 5,
                                    additive_total=True, mean_link=False)
    hidden = RULE.breakdown_suppressed(audit, set(), TREE, TREE_DEPTH, 5, covered)
    assert computable(covered, hidden) == []
    assert audit.first_leak(set(), hidden) is None
    # what the rules alone hid stays hidden: the audit only adds
    alone = RULE.linked_suppressed(populations, set(), TREE, TREE_DEPTH, 5, covered)
    assert all(alone[key] <= hidden[key] for key in alone)


def test_determined_is_exact_modulo_the_prime():
    # x + y = a, x - y = b fix both; z + w = c fixes neither
    fixed = RULE.determined([{"x": 1, "y": 1}, {"x": 1, "y": -1}, {"z": 1, "w": 1}], repr)
    assert fixed == {"x", "y"}
    # a weighted parent (a mean): 3 p = 2 c1 + 1 c2 with p and c1 known gives c2
    assert RULE.determined([{"c2": -1}], repr) == {"c2"}
