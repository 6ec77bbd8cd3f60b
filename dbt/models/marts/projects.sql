{#- Each project as of its latest status report: earned value EV = percent_complete / 100 ×
    budget, actual cost AC = cost to date, CPI = EV ÷ AC (NULL where AC = 0), and the
    estimate at completion EAC = budget ÷ CPI (NULL where CPI is NULL or 0). -#}
with

reports as (

    select
        *,
        row_number() over (
            partition by project_id
            order by status_date desc, _file_name desc, _row_number desc
        ) as recency
    from {{ ref('stg_projects__status_reports') }}

),

latest as (

    select
        *,
        percent_complete / 100.0 * budget_eur as earned_value_eur
    from reports
    where recency = 1

),

indexed as (

    select
        *,
        case
            when cost_to_date_eur <> 0 then earned_value_eur / cost_to_date_eur
        end as cpi
    from latest

)

select
    cast(project_id as {{ dbt.type_string() }}) as project_id,
    cast(project_name as {{ dbt.type_string() }}) as project_name,
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(project_type as {{ dbt.type_string() }}) as project_type,
    cast(status_date as date) as status_date,
    cast(budget_eur as {{ type_double() }}) as budget_eur,
    cast(cost_to_date_eur as {{ type_double() }}) as cost_to_date_eur,
    cast(percent_complete as {{ type_double() }}) as percent_complete,
    cast(earned_value_eur as {{ type_double() }}) as earned_value_eur,
    cast(cpi as {{ type_double() }}) as cpi,
    cast(case when cpi <> 0 then budget_eur / cpi end as {{ type_double() }}) as eac_eur
from indexed
order by project_id
