{#- Month index (12 * year + month - 1) of a date: differences of it count calendar months
    whatever the day, as the forecast horizon in docs/kpis.md needs. -#}
{% macro month_number(expression) -%}
    (12 * {{ date_part_int('year', expression) }} + {{ date_part_int('month', expression) }} - 1)
{%- endmacro %}

{% macro date_part_int(part, expression) -%}
    cast(extract({{ part }} from {{ expression }}) as integer)
{%- endmacro %}
