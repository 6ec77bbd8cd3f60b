{#- One row per target path of a (kpi, org unit): the first without `valid_from` (in force
    since the beginning), each revision from its `valid_from` on. `valid_to` is the day
    before the next revision (NULL: still in force), so the row in force for a month M is
    the one whose [valid_from, valid_to] holds the last day of M (docs/kpis.md). -#}
with

source as (

    select * from {{ source('raw', 'kpi_targets') }}

),

renamed as (

    select
        trim(kpi_id) as kpi_id,
        trim(org_unit_id) as org_unit_id,
        cast(valid_from as date) as valid_from,
        cast(baseline_date as date) as baseline_date,
        cast(baseline_value as {{ type_double() }}) as baseline_value,
        cast(target_date as date) as target_date,
        cast(target_value as {{ type_double() }}) as target_value,
        cast(tolerance as {{ type_double() }}) as tolerance,
        nullif(trim(reason), '') as reason
    from source

),

dated as (

    select
        renamed.*,
        lead(valid_from) over (
            partition by kpi_id, org_unit_id order by valid_from nulls first
        ) as next_valid_from
    from renamed

)

select
    kpi_id,
    org_unit_id,
    valid_from,
    cast({{ dbt.dateadd('day', -1, 'next_valid_from') }} as date) as valid_to,
    baseline_date,
    baseline_value,
    target_date,
    target_value,
    tolerance,
    reason
from dated
