{#- The privacy promise (docs/kpis.md): groups are never smaller than 3. Fails with the
    offending value and how to fix it. -#}
{% test min_group_size_allowed(model, column_name) %}

select
    {{ column_name }} as min_group_size,
    {{ dbt.concat([
        "'settings.csv: min_group_size '",
        "coalesce(configured_value, '(default)')",
        "' is not allowed: use a whole number of at least 3 (default 5)'",
    ]) }} as message
from {{ model }}
where {{ column_name }} is null
    or {{ column_name }} < 3

{% endtest %}
