with

source as (

    select * from {{ source('raw', 'it_licenses') }}

),

renamed as (

    select
        employee_id,
        trim(tool) as tool,
        {{ text_key('tool') }} as tool_key,
        cast(assigned_from as date) as assigned_from,
        cast(assigned_until as date) as assigned_until,
        _file_name,
        _row_number
    from source

)

select * from renamed
