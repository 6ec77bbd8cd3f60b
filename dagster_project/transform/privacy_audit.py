"""The privacy audit of what is about to be published: every suppressed cell that can be
computed from published cells, and every own rest of 1..min_group_size - 1 people that can
(docs/kpis.md, Privacy). The pipeline runs it after the dbt build
(`transform/privacy.py`) and fails the dbt step on any row, so nothing of such a run is
published.

An attacker knows these relations between the cells of one month (one survey wave):

- tree: per KPI and per breakdown value, w_P x_P = Σ_children w_C x_C + own_P, with x a
  cell's number (numerator, denominator; a dimension's score), w its weight (1, or the
  answers behind a mean) and own_P the parent's own people's part: a known 0 where the
  parent has nobody of its own in the cell. The maturity index (a mean of means) has none;
- linked: a unit's tool_adoption_rate cell is the sum of its tool cells; its maturity
  index is the mean of its dimension scores (n x index = their sum).

Published cells are known; suppressed cells and own rests are unknowns. An unknown is
determined when every solution of the equations gives it the same value: its row of a
null-space basis of the equation matrix is zero. Worked out per connected component with
numpy's SVD — on purpose not the modular elimination that the privacy rule
(`transform/privacy_rule.py`) uses to decide what to hide, so that one cannot hide a
mistake of the other. A unit's only breakdown cell is its total and is no leak.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

# totals whose tree relation holds (a sum), and the totals that are the mean of their parts
NOT_ADDITIVE = {"digital_maturity_index"}
MEAN_OF_PARTS = {"digital_maturity_index"}
TOLERANCE = 1e-9


def components(equations):
    """The equations grouped by the unknowns they share (union-find)."""
    parent = {}

    def find(v):
        parent.setdefault(v, v)
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for equation in equations:
        first, *rest = list(equation)
        for v in rest:
            parent[find(v)] = find(first)
    grouped = defaultdict(list)
    for equation in equations:
        grouped[find(next(iter(equation)))].append(equation)
    return list(grouped.values())


def determined(equations):
    """The unknowns that `equations` ({unknown: coefficient} = a known number) fix."""
    fixed = set()
    for part in components(equations):
        unknowns = sorted({v for equation in part for v in equation}, key=repr)
        column = {v: i for i, v in enumerate(unknowns)}
        matrix = np.zeros((len(part), len(unknowns)))
        for row, equation in enumerate(part):
            for v, c in equation.items():
                matrix[row, column[v]] = c
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        scale = singular[0] if len(singular) else 1.0
        rank = int((singular > TOLERANCE * max(scale, 1.0)).sum())
        null = vt[rank:]
        for v, i in column.items():
            if null.shape[0] == 0 or np.abs(null[:, i]).max() < 1e-7:
                fixed.add(v)
    return fixed


def audit(cells, parent_of, min_group_size):
    """Rows (total_kpi_id, month, breakdown_key, org_unit_id, kind, people) of what leaks.

    `cells`: (total_kpi_id, month, breakdown_key, org_unit_id, population, weight,
    suppressed) rows; a group is (total, month, key) with key None for the total itself.
    """
    groups = defaultdict(dict)
    for total, month, key, unit, population, weight, suppressed in cells:
        groups[(total, month, key)][unit] = (int(population), int(weight), bool(suppressed))

    def own_people(group, unit):
        found = groups[group]
        return found[unit][0] - sum(p for u, (p, _, _) in found.items()
                                    if parent_of.get(u) == unit)

    equations = []
    for group, found in groups.items():
        total, _, key = group
        if key is None and total in NOT_ADDITIVE:
            continue
        for unit, (_, weight, suppressed) in found.items():
            children = [u for u in found if parent_of.get(u) == unit]
            if not children:
                continue
            equation = {}
            if suppressed:
                equation[("cell", group, unit)] = weight
            for child in children:
                if found[child][2]:
                    equation[("cell", group, child)] = -found[child][1]
            if own_people(group, unit) > 0:
                equation[("own", group, unit)] = -1
            if equation:
                equations.append(equation)
    parts_at = defaultdict(list)
    for group, found in groups.items():
        total, month, key = group
        if key is not None:
            for unit in found:
                parts_at[(total, month, unit)].append(group)
    for (total, month, unit), parts in parts_at.items():
        whole = (total, month, None)
        equation = {}
        if unit in groups.get(whole, {}) and groups[whole][unit][2]:
            equation[("cell", whole, unit)] = len(parts) if total in MEAN_OF_PARTS else 1
        elif unit not in groups.get(whole, {}):
            continue
        for group in parts:
            if groups[group][unit][2]:
                equation[("cell", group, unit)] = -1
        if equation:
            equations.append(equation)

    rows = []
    for kind, group, unit in sorted(determined(equations), key=repr):
        total, month, key = group
        if kind == "own":
            people = own_people(group, unit)
            if not 0 < people < min_group_size:
                continue
        else:
            people = groups[group][unit][0]
            if key is not None and len(parts_at[(total, month, unit)]) == 1:
                continue  # a unit's only breakdown cell is its published total
        rows.append((total, month, key, unit, kind, people))
    return rows
