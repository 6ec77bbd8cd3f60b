{#- Per KPI, the latest of its period dates loaded (docs/kpis.md): cancelled orders count; for
    milestone_on_time_rate it is the project data's as-of date. -#}
with

orders as (

    select max(order_date) as latest_date from {{ ref('stg_erp_orders__orders') }}

),

interactions as (

    select cast(max(occurred_at) as date) as latest_date
    from {{ ref('stg_crm_interactions__interactions') }}

),

leads as (

    select max(closed_date) as latest_date from {{ ref('stg_crm_leads__leads') }}

),

usage as (

    select max(activity_date) as latest_date from {{ ref('stg_it_usage__activity') }}

),

trainings as (

    select max(completed_date) as latest_date from {{ ref('stg_lms_trainings__trainings') }}

),

survey as (

    select cast(max(submitted_at) as date) as latest_date
    from {{ ref('stg_survey_responses__answers') }}

),

projects as (

    select max(status_date) as latest_date from {{ ref('stg_projects__status_reports') }}

),

milestones as (

    select as_of_date as latest_date from {{ ref('int_projects_as_of_dated') }}

)

select 'digital_order_share' as kpi_id, latest_date as data_as_of from orders
union all
select 'digital_revenue_share' as kpi_id, latest_date as data_as_of from orders
union all
select 'order_lead_time_days' as kpi_id, latest_date as data_as_of from orders
union all
select 'repeat_customer_rate' as kpi_id, latest_date as data_as_of from orders
union all
select 'digital_interaction_share' as kpi_id, latest_date as data_as_of from interactions
union all
select 'lead_win_rate' as kpi_id, latest_date as data_as_of from leads
union all
select 'tool_adoption_rate' as kpi_id, latest_date as data_as_of from usage
union all
select 'training_coverage' as kpi_id, latest_date as data_as_of from trainings
union all
select 'digital_maturity_index' as kpi_id, latest_date as data_as_of from survey
union all
select 'acceptance_rate' as kpi_id, latest_date as data_as_of from survey
union all
select 'enps' as kpi_id, latest_date as data_as_of from survey
union all
select 'milestone_on_time_rate' as kpi_id, latest_date as data_as_of from milestones
union all
select 'cost_performance_index' as kpi_id, latest_date as data_as_of from projects
