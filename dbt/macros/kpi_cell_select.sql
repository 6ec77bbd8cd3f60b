{#- The last select of every int_<kpi_id>_rolled_up model: its KPI's cells, one per org unit
    and month, in the columns and types that int_kpi_cells_unioned stacks. Written once so
    that the cell's shape and its rule (no cell without a denominator) cannot drift apart
    between the KPIs.
    relation: the CTE with month, org_unit_id, denominator and the columns named below;
    value: the value's expression, by default numerator ÷ denominator;
    numerator, population: a column of the relation, or none where the KPI has none (NULL);
    where: which rows are cells, by default those with a positive denominator. -#}
{% macro kpi_cell_select(
    kpi_id,
    relation='rolled_up',
    value=none,
    numerator='numerator',
    population=none,
    where='denominator > 0'
) -%}
    {%- if value is none and numerator is none -%}
        {{ exceptions.raise_compiler_error(
            'kpi_cell_select(' ~ kpi_id ~ '): without a numerator the value must be given') }}
    {%- endif -%}
select
    '{{ kpi_id }}' as kpi_id,
    month,
    org_unit_id,
    {{ value if value is not none else 'cast(numerator as ' ~ type_double() ~ ') / denominator' }} as value,
    cast({{ numerator if numerator is not none else 'null' }} as {{ type_double() }}) as numerator,
    cast(denominator as {{ type_double() }}) as denominator,
    cast({{ population if population is not none else 'null' }} as integer) as population
from {{ relation }}
where {{ where }}
{%- endmacro %}
