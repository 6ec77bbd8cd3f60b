{#- digital_interaction_share (docs/kpis.md): interactions through a digital channel ÷ all
    interactions, per month of occurred_at and org subtree.
    Stored, not a view: a run that adds only orders keeps it (dbt_plan.py). Incremental by
    month (macros/increment.sql): a month's cells read that month's interactions only, so an
    export that adds interactions recomputes the months they fall in. -#}
{{ config(**increment_config('crm_interactions')) }}
with

interactions as (

    select * from {{ ref('stg_crm_interactions__interactions') }}
    {% if is_incremental() %}
    where {{ increment_where('occurred_at', 'crm_interactions') }}
    {% endif %}

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
