{#- Training records; course ids are compared as written (trimmed): docs/kpis.md names only
    tool names, roles, channels and org unit names as case-insensitive. -#}
with

source as (

    select * from {{ source('raw', 'lms_trainings') }}

),

renamed as (

    select
        employee_id,
        trim(course_id) as course_id,
        lower(trim(status)) as status,
        cast(completed_date as date) as completed_date,
        _file_name,
        _row_number
    from source

)

select * from renamed
