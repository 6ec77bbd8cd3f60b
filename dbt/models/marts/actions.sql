{#- Phase 5 measures (Maßnahmen), shown next to their KPI. An action is overdue when its
    due date lies before the reference date (var `actions_reference_date`, else the run's
    date) and its status does not say it is finished. -#}
{#- Tagged `run_date`: built on every run, as it reads the day it is built on (dagster_project/dbt_plan.py). -#}
{{ config(tags=['run_date']) }}
{%- set reference_date = var('actions_reference_date') -%}
with

actions as (

    select * from {{ ref('stg_config__actions') }}

),

referenced as (

    select
        actions.*,
        {% if reference_date %}
        cast('{{ reference_date }}' as date) as reference_date
        {% else %}
        cast({{ dbt.current_timestamp() }} as date) as reference_date
        {% endif %}
    from actions

)

select
    cast(action_id as {{ dbt.type_string() }}) as action_id,
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(owner as {{ dbt.type_string() }}) as owner,
    cast(due_date as date) as due_date,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(
        coalesce(
            due_date < reference_date
            and coalesce(lower(status), '') not in (
                'done', 'completed', 'closed', 'cancelled',
                'erledigt', 'abgeschlossen', 'geschlossen', 'abgebrochen', 'storniert'
            ),
            false
        ) as boolean
    ) as overdue
from referenced
order by action_id
