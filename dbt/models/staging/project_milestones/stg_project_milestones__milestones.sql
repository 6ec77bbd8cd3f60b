with

source as (

    select * from {{ source('raw', 'project_milestones') }}

),

renamed as (

    select
        project_id,
        milestone_id,
        milestone_name,
        cast(planned_date as date) as planned_date,
        cast(actual_date as date) as actual_date,
        _file_name,
        _row_number
    from source

)

select * from renamed
