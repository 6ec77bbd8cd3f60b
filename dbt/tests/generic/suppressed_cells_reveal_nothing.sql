{#- A suppressed cell keeps only its keys (docs/kpis.md): fails with every suppressed row that
    still carries a value, numerator, denominator or population. -#}
{% test suppressed_cells_reveal_nothing(model) %}

select *
from {{ model }}
where suppressed
    and (
        value is not null
        or numerator is not null
        or denominator is not null
        or population is not null
    )

{% endtest %}
