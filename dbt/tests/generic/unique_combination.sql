{#- Fails with one row per combination of `columns` that occurs more than once (the few
    lines of dbt_utils' test we need, without `dbt deps`). -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
