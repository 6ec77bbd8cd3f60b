{#- Phase 5 (docs/kpis.md): each (kpi, unit) with a published value, at its latest published
    month, against the target path of kpi_targets. Reads only published (not suppressed)
    values, so a suppressed cell shapes no status, trend or forecast. -#}
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
        max(case when recency = 3 then value end) as value_two_before,
        count(*) as published_values
    from ranked
    where recency <= 3
    group by 1, 2

),

trended as (

    select
        latest.*,
        {{ month_end('latest.month') }} as month_end,
        -- least-squares slope through x = 0, 1, 2: (y2 - y0) / 2
        case
            when published_values >= 3 then (value - value_two_before) / 2.0
        end as trend_3m
    from latest

),

compared as (

    select
        trended.kpi_id,
        trended.org_unit_id,
        trended.month,
        trended.value,
        trended.trend_3m,
        definitions.direction,
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
                    cast({{ dbt.datediff('targets.baseline_date', 'trended.month_end', 'day') }} as double precision)
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
        end as gap
    from compared

)

select
    cast(gapped.kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(gapped.org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(gapped.month as date) as month,
    cast(gapped.value as double precision) as value,
    cast(gapped.baseline_value as double precision) as baseline_value,
    cast(gapped.target_value as double precision) as target_value,
    cast(gapped.expected_value as double precision) as expected_value,
    cast(gapped.tolerance as double precision) as tolerance,
    cast(
        case
            when not gapped.has_target then 'no_target'
            when gapped.gap >= 0 then 'green'
            when gapped.gap >= -coalesce(gapped.tolerance, 0) then 'amber'
            else 'red'
        end as {{ dbt.type_string() }}
    ) as status,
    cast(
        (gapped.value - gapped.baseline_value)
        / nullif(gapped.target_value - gapped.baseline_value, 0) as double precision
    ) as progress,
    cast(gapped.trend_3m as double precision) as trend_3m,
    cast(gapped.value + gapped.trend_3m * gapped.months_to_target as double precision)
        as forecast_at_target_date,
    cast(gapped.target_date as date) as target_date,
    cast(data_as_of.data_as_of as date) as data_as_of
from gapped
left join data_as_of
    on data_as_of.kpi_id = gapped.kpi_id
order by 1, 2
