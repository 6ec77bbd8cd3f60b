with

source as (

    select * from {{ source('raw', 'it_usage') }}

),

renamed as (

    select
        employee_id,
        trim(tool) as tool,
        {{ text_key('tool') }} as tool_key,
        cast(activity_date as date) as activity_date,
        cast(events as bigint) as events,
        _file_name,
        _row_number
    from source

)

select * from renamed
