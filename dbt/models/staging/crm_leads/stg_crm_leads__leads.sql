with

source as (

    select * from {{ source('raw', 'crm_leads') }}

),

renamed as (

    select
        lead_id,
        org_unit_id,
        trim(source_channel) as source_channel,
        lower(trim(status)) as status,
        cast(expected_value as {{ type_double() }}) as expected_value,
        cast(created_date as date) as created_date,
        cast(closed_date as date) as closed_date,
        _file_name,
        _row_number
    from source

)

select * from renamed
