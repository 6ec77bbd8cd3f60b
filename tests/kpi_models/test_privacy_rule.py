"""The privacy rule of docs/kpis.md as implemented in the dbt Python model, on small trees.

The model file is loaded directly (it is plain Python apart from `model()`), so each case
of the rule -- primary suppression, no differencing, the deterministic choice -- is pinned
without a database.
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.kpi_models.conftest import DBT_PROJECT_DIR
from tests.kpi_models.raw_layer import SAMPLE_ORG_UNITS

MODEL_FILE = DBT_PROJECT_DIR / "models" / "intermediate" / "int_privacy_cells_suppressed.py"


def load_rule():
    spec = importlib.util.spec_from_file_location("privacy_rule", MODEL_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RULE = load_rule()
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
