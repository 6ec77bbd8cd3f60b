with

source as (

    select * from {{ source('raw', 'lms_trainings') }}

),

renamed as (

    select
        employee_id,
        trim(course_id) as course_id,
        {{ text_key('course_id') }} as course_key,
        lower(trim(status)) as status,
        cast(completed_date as date) as completed_date,
        _file_name,
        _row_number
    from source

)

select * from renamed
