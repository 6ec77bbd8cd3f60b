"""The privacy audit of published files (docs/kpis.md, Privacy): nothing suppressed can be
computed from what is published.

Over the published file of the sample and of a second generated company with another org
tree, every relation an attacker knows is written down (parent = children + own rest, a
unit's tool_adoption_rate = Σ its tools, its maturity index = the mean of its dimensions;
tests/oracle/derivable.py) and solved exactly: no suppressed cell may be fixed by them, nor
an own rest of 1..min_group_size - 1 people. The truth behind the cells (who is in which)
comes from the oracle's own reading of the generator's raw layer, not from the pipeline.
"""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import run_pipeline_in
from tests.oracle import expected_maturity_by_dimension, expected_tool_adoption
from tests.oracle.audit import audit_published, published_relations
from tests.oracle.derivable import leaks
from tests.oracle.kpis import _min_group_size
from tests.oracle.privacy import linked_suppressed


def hidden_beside_published_totals(relations) -> int:
    """How many suppressed breakdown cells stand beside a published total."""
    count = 0
    for total, parts, _ in relations.links:
        for unit, cell in relations.groups[total].items():
            if not cell.suppressed:
                count += sum(relations.groups[g][unit].suppressed
                             for g in parts if unit in relations.groups[g])
    return count


def test_nothing_suppressed_in_the_published_sample_can_be_computed(pipeline_run, sample_company):
    assert pipeline_run.outcome.published, pipeline_run.outcome.report()
    relations, found = audit_published(pipeline_run.published_db, sample_company[1].raw_frames())
    assert hidden_beside_published_totals(relations) > 0  # the linked rule had work to do
    assert found == []


# ------------------------------------------------------------------ a second company

def reshaped_org_tree(sources: Path) -> dict[str, str | None]:
    """Another org tree over the same units, so the exports stay valid: every second leaf
    (sorted by id) moves below the leaf before it, which then has people of its own and a
    child. Returns unit -> parent."""
    path = sources / "config" / "org_units.csv"
    rows = [r for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")),
                                  delimiter=";") if r]
    header, body = rows[0], rows[1:]
    parent = {r[0]: (r[2] or None) for r in body}
    leaves = sorted(u for u in parent if u not in set(parent.values()))
    for i in range(1, len(leaves), 2):
        parent[leaves[i]] = leaves[i - 1]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([r[0], r[1], parent[r[0]] or ""] for r in body)
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return parent


@pytest.fixture(scope="module")
def second_company(tmp_path_factory):
    """Another seed, half the staff, the reshaped tree: published, with its truth."""
    from dagster_project.sample import generate

    sources = tmp_path_factory.mktemp("sources2")
    company = generate(sources, seed=7, scale=0.5)
    parent = reshaped_org_tree(sources)
    raw = company.raw_frames()
    raw["org_units"] = raw["org_units"].assign(parent_id=raw["org_units"].org_unit_id.map(parent))
    data = tmp_path_factory.mktemp("data2")
    outcome = run_pipeline_in(sources, data)
    assert outcome.published, outcome.report()
    return data / "leitstand.duckdb", raw


@pytest.mark.slow
def test_nothing_suppressed_in_a_second_company_can_be_computed(second_company):
    published, raw = second_company
    relations, found = audit_published(published, raw)
    assert hidden_beside_published_totals(relations) > 0
    assert found == []


@pytest.mark.slow
def test_the_second_company_needs_the_closing_audit(second_company):
    """The tree and linked rules alone would leave cells of its tools computable: the
    closing audit had work to do here (the sample does not show it)."""
    published, raw = second_company
    with duckdb.connect(str(published), read_only=True) as con:
        relations = published_relations(con, raw)
    rules_alone = copy.deepcopy(relations)
    k = _min_group_size(raw, None)
    for total, parts, _ in rules_alone.links:
        if total[1] != "tool_adoption_rate":
            continue
        total_hidden = {u for u, c in rules_alone.groups[total].items() if c.suppressed}
        breakdown = {g: {u: c.people for u, c in rules_alone.groups[g].items()} for g in parts}
        hidden = linked_suppressed(breakdown, total_hidden, rules_alone.tree, k)
        for g in parts:
            for unit, cell in rules_alone.groups[g].items():
                cell.suppressed = unit in hidden[g]
    assert leaks(rules_alone, k)


@pytest.mark.slow
def test_the_second_companys_breakdowns_match_the_oracle(second_company):
    published, raw = second_company
    with duckdb.connect(str(published), read_only=True) as con:
        tools = con.sql("select * from marts.tool_adoption").df()
        dimensions = con.sql("select * from marts.maturity_by_dimension").df()
    for expected, got, keys in (
            (expected_tool_adoption(raw, None), tools, ["month", "org_unit_id", "tool"]),
            (expected_maturity_by_dimension(raw, None), dimensions,
             ["wave", "org_unit_id", "dimension"])):
        for frame in (expected, got):
            frame["month"] = pd.to_datetime(frame.month)
        merged = expected.merge(got, on=keys, how="outer", indicator=True,
                                suffixes=("_exp", "_got"))
        assert (merged._merge == "both").all()
        differs = merged[merged.suppressed_exp != merged.suppressed_got]
        assert differs.empty, differs[keys + ["suppressed_exp", "suppressed_got"]].head(10)
