{#- The key of a group of cells inside which the privacy rule is applied; one definition
    for the model that collects the cells and the marts that read the verdict back. -#}
{% macro kpi_cell_group(kpi_id, month) -%}
    {{ dbt.concat([kpi_id, "'|'", dbt.cast(month, api.Column.translate_type('string'))]) }}
{%- endmacro %}

{% macro dimension_cell_group(wave, dimension) -%}
    {{ dbt.concat([wave, "'|'", dimension]) }}
{%- endmacro %}

{% macro tool_cell_group(tool_key, month) -%}
    {{ dbt.concat([tool_key, "'|'", dbt.cast(month, api.Column.translate_type('string'))]) }}
{%- endmacro %}
