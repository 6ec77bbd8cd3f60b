{#- Phase 5 (docs/kpis.md): each (kpi, unit) with a published value, at its latest published
    month, against the target path of kpi_targets. Reads only published (not suppressed)
    values, so a suppressed cell shapes no status, trend or forecast. The trend is a change
    per month (x = the month index of each value, so a survey every six months has a small
    monthly slope); the forecast is clamped to the KPI's range of kpi_catalog; red_below and
    amber_below count the units strictly below that are red (amber) on the same KPI. -#}
with

published as (

    select * from {{ ref('kpi_monthly') }}
    where not suppressed

),

definitions as (

    select * from {{ ref('kpi_catalog') }}

),

targets as (

    select * from {{ ref('stg_config__kpi_targets') }}

),

data_as_of as (

    select * from {{ ref('int_kpi_data_as_of_dated') }}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

ranked as (

    select
        kpi_id,
        org_unit_id,
        month,
        value,
        row_number() over (partition by kpi_id, org_unit_id order by month desc) as recency
    from published

),

latest as (

    select
        kpi_id,
        org_unit_id,
        max(case when recency = 1 then month end) as month,
        max(case when recency = 1 then value end) as value,
        max(case when recency = 1 then {{ month_number('month') }} end) as month_index
    from ranked
    where recency = 1
    group by 1, 2

),

last_three as (

    {#- x = months before the latest value (0, -1, ... or -6 for a half-yearly survey) -#}
    select
        ranked.kpi_id,
        ranked.org_unit_id,
        cast({{ month_number('ranked.month') }} - latest.month_index as {{ type_double() }}) as x,
        ranked.value as y
    from ranked
    inner join latest
        on latest.kpi_id = ranked.kpi_id
        and latest.org_unit_id = ranked.org_unit_id
    where ranked.recency <= 3

),

sums as (

    select
        kpi_id,
        org_unit_id,
        count(*) as n,
        sum(x) as sx,
        sum(y) as sy,
        sum(x * y) as sxy,
        sum(x * x) as sxx
    from last_three
    group by 1, 2

),

trended as (

    select
        latest.*,
        {{ month_end('latest.month') }} as month_end,
        -- least-squares slope per month over the last three published values
        case
            when sums.n >= 3
                then (sums.n * sums.sxy - sums.sx * sums.sy)
                / (sums.n * sums.sxx - sums.sx * sums.sx)
        end as trend_3m
    from latest
    inner join sums
        on sums.kpi_id = latest.kpi_id
        and sums.org_unit_id = latest.org_unit_id

),

compared as (

    select
        trended.kpi_id,
        trended.org_unit_id,
        trended.month,
        trended.value,
        trended.trend_3m,
        definitions.direction,
        definitions.min_value,
        definitions.max_value,
        targets.kpi_id is not null as has_target,
        targets.baseline_value,
        targets.target_value,
        targets.tolerance,
        targets.target_date,
        targets.baseline_value + (targets.target_value - targets.baseline_value) * (
            case
                -- a path without length: the target holds from its date on
                when targets.target_date = targets.baseline_date then 1.0
                else greatest(0.0, least(1.0,
                    cast({{ dbt.datediff('targets.baseline_date', 'trended.month_end', 'day') }} as {{ type_double() }})
                    / {{ dbt.datediff('targets.baseline_date', 'targets.target_date', 'day') }}
                ))
            end
        ) as expected_value,
        {{ month_number('targets.target_date') }} - {{ month_number('trended.month') }} as months_to_target
    from trended
    left join definitions
        on definitions.kpi_id = trended.kpi_id
    left join targets
        on targets.kpi_id = trended.kpi_id
        and targets.org_unit_id = trended.org_unit_id
        -- the row in force for the as-of month: the latest valid_from <= its last day
        and (targets.valid_from is null or targets.valid_from <= trended.month_end)
        and (targets.valid_to is null or targets.valid_to >= trended.month_end)

),

gapped as (

    select
        compared.*,
        case
            when direction = 'down' then expected_value - value
            else value - expected_value
        end as gap,
        value + trend_3m * months_to_target as unclamped_forecast
    from compared

),

statused as (

    select
        gapped.*,
        case
            when not gapped.has_target then 'no_target'
            when gapped.gap >= 0 then 'green'
            when gapped.gap >= -coalesce(gapped.tolerance, 0) then 'amber'
            else 'red'
        end as status,
        case
            when gapped.unclamped_forecast < gapped.min_value then gapped.min_value
            when gapped.unclamped_forecast > gapped.max_value then gapped.max_value
            else gapped.unclamped_forecast
        end as forecast_at_target_date
    from gapped

),

below as (

    {#- the statuses of the units strictly below each unit, on the same KPI -#}
    select
        closure.ancestor_id as org_unit_id,
        descendant.kpi_id,
        sum(case when descendant.status = 'red' then 1 else 0 end) as red_below,
        sum(case when descendant.status = 'amber' then 1 else 0 end) as amber_below
    from statused as descendant
    inner join closure
        on closure.descendant_id = descendant.org_unit_id
        and closure.ancestor_id <> closure.descendant_id
    group by 1, 2

)

select
    cast(statused.kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(statused.org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(statused.month as date) as month,
    cast(statused.value as {{ type_double() }}) as value,
    cast(statused.baseline_value as {{ type_double() }}) as baseline_value,
    cast(statused.target_value as {{ type_double() }}) as target_value,
    cast(statused.expected_value as {{ type_double() }}) as expected_value,
    cast(statused.tolerance as {{ type_double() }}) as tolerance,
    cast(statused.status as {{ dbt.type_string() }}) as status,
    cast(
        (statused.value - statused.baseline_value)
        / nullif(statused.target_value - statused.baseline_value, 0) as {{ type_double() }}
    ) as progress,
    cast(statused.trend_3m as {{ type_double() }}) as trend_3m,
    cast(case when statused.has_target then statused.forecast_at_target_date end
        as {{ type_double() }}) as forecast_at_target_date,
    cast(statused.target_date as date) as target_date,
    cast(data_as_of.data_as_of as date) as data_as_of,
    cast(coalesce(below.red_below, 0) as integer) as red_below,
    cast(coalesce(below.amber_below, 0) as integer) as amber_below
from statused
left join data_as_of
    on data_as_of.kpi_id = statused.kpi_id
left join below
    on below.kpi_id = statused.kpi_id
    and below.org_unit_id = statused.org_unit_id
order by 1, 2
