{#- The form in which tool names, roles, course ids and dimensions are compared
    (docs/kpis.md: they match case-insensitively after trimming). -#}
{% macro text_key(expression) -%}
    lower(trim({{ expression }}))
{%- endmacro %}
