{#- Rows that break a rule across their columns (contract.toml's training_set rules), returned whole so the
    failure shows the values. Rows with a null in the rule are left to not_null. -#}
{% test satisfies(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
