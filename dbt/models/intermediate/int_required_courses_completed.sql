{#- Per month and employee employed on its last day with >= 1 required course (their
    role's courses plus those for role `*`): whether every required course was completed
    by that day. Months: first to last month of completed_date. Roles match
    case-insensitively, course ids as written (trimmed). -#}
with

requirements as (

    select * from {{ ref('stg_config__training_requirements') }}

),

trainings as (

    select * from {{ ref('stg_lms_trainings__trainings') }}
    where status = 'completed'
        and completed_date is not null

),

bounds as (

    select
        {{ month_start('min(completed_date)') }} as first_month,
        {{ month_start('max(completed_date)') }} as last_month
    from {{ ref('stg_lms_trainings__trainings') }}

),

employed as (

    select employed.*
    from {{ ref('int_employees_employed_at_month_end') }} as employed
    inner join bounds
        on employed.month between bounds.first_month and bounds.last_month

),

required as (

    select distinct
        employed.month,
        employed.month_end,
        employed.employee_id,
        employed.org_unit_id,
        requirements.course_id
    from employed
    inner join requirements
        on requirements.role_key in (employed.role_key, '*')

),

checked as (

    select
        required.month,
        required.employee_id,
        required.org_unit_id,
        count(distinct required.course_id) as required_courses,
        count(distinct completed.course_id) as completed_courses
    from required
    left join trainings as completed
        on completed.employee_id = required.employee_id
        and completed.course_id = required.course_id
        and completed.completed_date <= required.month_end
    group by 1, 2, 3

)

select
    month,
    employee_id,
    org_unit_id,
    required_courses,
    completed_courses,
    completed_courses = required_courses as is_covered
from checked
