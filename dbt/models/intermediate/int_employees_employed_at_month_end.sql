{#- Employees employed on each month's last day (entry on or before it, no exit before it),
    with the org unit and role of their latest HR row. Months span the period dates of the
    two stock KPIs about employees (it_usage activity, training completions). -#}
with

employees as (

    select * from {{ ref('stg_hr_employees__employees') }}

),

period_dates as (

    select activity_date as period_date from {{ ref('stg_it_usage__activity') }}
    union all
    select completed_date as period_date from {{ ref('stg_lms_trainings__trainings') }}

),

bounds as (

    select
        {{ month_start('min(period_date)') }} as first_month,
        {{ month_start('max(period_date)') }} as last_month
    from period_dates

),

months as (

    select months.*
    from {{ ref('int_months_enumerated') }} as months
    inner join bounds
        on months.month between bounds.first_month and bounds.last_month

)

select
    months.month,
    months.month_end,
    employees.employee_id,
    employees.org_unit_id,
    employees.role_key
from months
inner join employees
    on employees.entry_date <= months.month_end
    and (employees.exit_date is null or employees.exit_date >= months.month_end)
