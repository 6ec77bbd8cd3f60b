with

source as (

    select * from {{ source('raw', 'actions') }}

),

renamed as (

    select
        trim(action_id) as action_id,
        trim(kpi_id) as kpi_id,
        trim(org_unit_id) as org_unit_id,
        title,
        owner,
        cast(due_date as date) as due_date,
        trim(status) as status
    from source

)

select * from renamed
