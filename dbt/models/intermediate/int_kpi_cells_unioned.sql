{#- Every KPI's (month, org unit) cells in one relation, before the privacy rule.
    Each KPI's formula lives in its own int_<kpi_id>_rolled_up model. -#}
{%- set kpi_models = [
    'int_digital_order_share_rolled_up',
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
