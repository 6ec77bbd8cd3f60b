{#- Who is counted in each breakdown cell, by the person's own org unit (not rolled up):
    the linked-tables rule of docs/kpis.md asks how many distinct people several suppressed
    breakdown cells of one unit cover together. Employees for the tools, responses for the
    maturity dimensions; keyed like int_privacy_cells_unioned. -#}
select distinct
    'tool_adoption' as table_name,
    {{ kpi_cell_group("'tool_adoption_rate'", 'month') }} as within_cell_group,
    tool_key as breakdown_key,
    org_unit_id,
    employee_id as person_id
from {{ ref('int_licences_active_at_month_end') }}

union all

select distinct
    'maturity_by_dimension' as table_name,
    {{ kpi_cell_group("'digital_maturity_index'", 'month') }} as within_cell_group,
    dimension as breakdown_key,
    org_unit_id,
    response_id as person_id
from {{ ref('int_survey_answers_scored') }}
where dimension in (
    'it_infrastructure', 'organisation', 'processes', 'strategy', 'innovation', 'collaboration'
)
