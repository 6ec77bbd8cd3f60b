{#- digital_interaction_share (docs/kpis.md): interactions through a digital channel ÷ all
    interactions, per month of occurred_at and org subtree.
    A table: a run that adds only orders keeps it (dbt_plan.py) instead of computing it
    again inside the KPI union (0.08 s at bench scale 480; the cheap roll-ups stay views). -#}
{{ config(materialized='table') }}
with

interactions as (

    select * from {{ ref('stg_crm_interactions__interactions') }}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        {{ month_start('interactions.occurred_at') }} as month,
        closure.ancestor_id as org_unit_id,
        sum(case when interactions.is_digital then 1 else 0 end) as numerator,
        count(*) as denominator
    from interactions
    inner join closure
        on closure.descendant_id = interactions.org_unit_id
    group by 1, 2

)

{{ kpi_cell_select('digital_interaction_share') }}
