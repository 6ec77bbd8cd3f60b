{#- Pseudonymised headcount; the raw layer already keeps each employee's latest HR row,
    which is the org unit and role the employee counts for (docs/kpis.md). -#}
with

source as (

    select * from {{ source('raw', 'hr_employees') }}

),

renamed as (

    select
        employee_id,
        org_unit_id,
        trim(role) as role,
        {{ text_key('role') }} as role_key,
        cast(entry_date as date) as entry_date,
        cast(exit_date as date) as exit_date,
        _file_name,
        _row_number
    from source

)

select * from renamed
