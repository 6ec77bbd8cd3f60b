with

source as (

    select * from {{ source('raw', 'kpi_targets') }}

),

renamed as (

    select
        trim(kpi_id) as kpi_id,
        trim(org_unit_id) as org_unit_id,
        cast(baseline_date as date) as baseline_date,
        cast(baseline_value as double precision) as baseline_value,
        cast(target_date as date) as target_date,
        cast(target_value as double precision) as target_value,
        cast(tolerance as double precision) as tolerance
    from source

)

select * from renamed
