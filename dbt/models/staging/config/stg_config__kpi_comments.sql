with

source as (

    select * from {{ source('raw', 'kpi_comments') }}

),

renamed as (

    select
        trim(kpi_id) as kpi_id,
        trim(org_unit_id) as org_unit_id,
        {{ month_start('month') }} as month,
        trim(author) as author,
        trim(comment) as comment,
        cast(created_at as date) as created_at
    from source

)

select * from renamed
