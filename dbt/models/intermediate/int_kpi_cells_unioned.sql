{#- Every KPI's (month, org unit) cells in one relation, before the privacy rule.
    Each KPI's formula lives in its own int_<kpi_id>_rolled_up model. A table, because
    both the privacy rule and kpi_monthly read it. -#}
{{ config(materialized='table') }}
{%- set kpi_models = [
    'int_digital_order_share_rolled_up',
    'int_digital_revenue_share_rolled_up',
    'int_order_lead_time_days_rolled_up',
    'int_digital_interaction_share_rolled_up',
    'int_lead_win_rate_rolled_up',
    'int_repeat_customer_rate_rolled_up',
    'int_tool_adoption_rate_rolled_up',
    'int_training_coverage_rolled_up',
    'int_digital_maturity_index_rolled_up',
    'int_acceptance_rate_rolled_up',
    'int_enps_rolled_up',
    'int_milestone_on_time_rate_rolled_up',
    'int_cost_performance_index_rolled_up',
] -%}

{% for kpi_model in kpi_models %}
select
    kpi_id,
    month,
    org_unit_id,
    value,
    numerator,
    denominator,
    population
from {{ ref(kpi_model) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
