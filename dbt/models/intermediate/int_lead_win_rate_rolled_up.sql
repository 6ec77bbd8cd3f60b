{#- lead_win_rate (docs/kpis.md): leads won ÷ leads won or lost, per month of closed_date and
    org subtree. -#}
with

leads as (

    select * from {{ ref('stg_crm_leads__leads') }}
    where status in ('won', 'lost')
        and closed_date is not null

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        {{ month_start('leads.closed_date') }} as month,
        closure.ancestor_id as org_unit_id,
        sum(case when leads.status = 'won' then 1 else 0 end) as numerator,
        count(*) as denominator
    from leads
    inner join closure
        on closure.descendant_id = leads.org_unit_id
    group by 1, 2

)

{{ kpi_cell_select('lead_win_rate') }}
