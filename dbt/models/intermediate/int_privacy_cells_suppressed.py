"""The privacy rule of docs/kpis.md, applied to every cell that describes people.

Primary suppression hides a cell with population < min_group_size. The no-differencing
rule then repeats, deterministically: take the first published cell P (by depth, then
org_unit_id) whose residue r(P) -- its people not inside any published cell strictly below
it -- is between 1 and min_group_size - 1, and suppress, among the published cells right
below P (no published cell in between), the one with the smallest population (ties: the
smallest org_unit_id). People belong to exactly one org unit, so r(P) is P's population
minus the populations of those nearest published cells below it.

A cell that is part of another cell (a tool's adoption inside the unit's tool adoption KPI,
`within_cell_group`) starts hidden where that cell was hidden, so that the parts cannot be
added up to it; the rule then runs on the parts as on any group.

Iterative set logic is clearer here than in recursive SQL, hence a Python model. It reads
plain rows and returns a DuckDB relation: importing pandas took longer than the rule itself.
"""

from __future__ import annotations

from itertools import groupby

SMALLEST_ALLOWED_GROUP = 3


def nearest_published_ancestor(unit, published, parent_of):
    """The closest strict ancestor of `unit` that is a published cell, or None."""
    ancestor = parent_of.get(unit)
    while ancestor is not None:
        if ancestor in published:
            return ancestor
        ancestor = parent_of.get(ancestor)
    return None


def suppressed_units(population_by_unit, parent_of, depth_of, min_group_size, hidden_before=()):
    """Units whose cell the rule suppresses, for one group of cells (one kpi and month).

    `hidden_before`: units whose cell is hidden from the start (see the module docstring).
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


def rows_of(relation, columns):
    """The relation's rows as tuples of `columns`."""
    return relation.project(", ".join(columns)).fetchall()


def model(dbt, session):
    dbt.config(materialized="table")
    cells = rows_of(dbt.ref("int_privacy_cells_unioned"),
                    ["table_name", "cell_group", "within_cell_group", "org_unit_id", "population"])
    org_units = rows_of(dbt.ref("int_org_units_ranked"), ["org_unit_id", "parent_id", "depth"])
    min_group_size = resolved_min_group_size(
        rows_of(dbt.ref("int_min_group_size_resolved"), ["min_group_size", "configured_value"])
    )

    parent_of = {unit: parent for unit, parent, _ in org_units}
    depth_of = {unit: int(depth) for unit, _, depth in org_units}

    out = {"table_name": [], "cell_group": [], "org_unit_id": [], "suppressed": []}
    hidden_by_group = {}

    # cells that are parts of other cells come last, once the verdicts on the wholes are in
    def group_key(cell):
        table_name, cell_group, within = cell[0], cell[1], cell[2]
        return (within is not None, table_name, cell_group)

    for (_, table_name, cell_group), group in groupby(sorted(cells, key=group_key), group_key):
        group = list(group)
        population_by_unit = {unit: int(population) for *_, unit, population in group}
        within = group[0][2]
        hidden_before = set()
        if within is not None:
            hidden_before = hidden_by_group.get(("kpi_monthly", within), set())
        hidden = suppressed_units(
            population_by_unit, parent_of, depth_of, min_group_size, hidden_before
        )
        hidden_by_group[(table_name, cell_group)] = hidden
        for unit in sorted(population_by_unit):
            out["table_name"].append(table_name)
            out["cell_group"].append(cell_group)
            out["org_unit_id"].append(unit)
            out["suppressed"].append(unit in hidden)

    # the rows as a relation of DuckDB's, from one list per column: pyarrow's `pa.array` of
    # Python lists imports pandas (0.2 s of the 0.4 s this model took)
    return session.sql(
        "select unnest($1::varchar[]) as table_name, unnest($2::varchar[]) as cell_group,"
        " unnest($3::varchar[]) as org_unit_id, unnest($4::boolean[]) as suppressed",
        params=[out["table_name"], out["cell_group"], out["org_unit_id"], out["suppressed"]],
    )
