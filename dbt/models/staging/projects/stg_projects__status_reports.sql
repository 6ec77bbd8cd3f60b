{#- Project status reports: one row per (project, status date). -#}
with

source as (

    select * from {{ source('raw', 'projects') }}

),

renamed as (

    select
        project_id,
        project_name,
        org_unit_id,
        project_type,
        cast(status_date as date) as status_date,
        cast(budget_eur as {{ type_double() }}) as budget_eur,
        cast(cost_to_date_eur as {{ type_double() }}) as cost_to_date_eur,
        cast(percent_complete as {{ type_double() }}) as percent_complete,
        _file_name,
        _row_number
    from source

)

select * from renamed
