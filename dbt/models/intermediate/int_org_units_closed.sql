{#- The org tree's closure: one row per (ancestor, descendant) incl. each unit with itself.
    KPIs roll rows up through it, so a parent's value is recomputed from its subtree's rows
    (docs/kpis.md: never an average of its children's values). -#}
with recursive

org_units as (

    select * from {{ ref('stg_config__org_units') }}

),

closure (ancestor_id, descendant_id, distance) as (

    select
        org_unit_id as ancestor_id,
        org_unit_id as descendant_id,
        0 as distance
    from org_units

    union all

    select
        closure.ancestor_id,
        org_units.org_unit_id as descendant_id,
        closure.distance + 1 as distance
    from closure
    inner join org_units
        on org_units.parent_id = closure.descendant_id
    -- a cycle in org_units.csv must not loop forever (the ingest rejects it; belt and braces)
    where closure.distance < 50

)

select * from closure
