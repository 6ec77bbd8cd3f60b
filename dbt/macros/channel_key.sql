{#- The form in which channel names are compared (docs/sources.md: matching ignores case, spaces
    and hyphens), so `Online-Shop`, `online shop` and `ONLINESHOP` meet the same map row. -#}
{% macro channel_key(expression) -%}
    lower(replace(replace(trim({{ expression }}), ' ', ''), '-', ''))
{%- endmacro %}
