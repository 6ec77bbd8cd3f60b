{#- Schemas come out literally as configured (staging, intermediate, marts): other parts of
    Leitstand (gates, publish, dashboards) address them by these names, without a prefix. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
