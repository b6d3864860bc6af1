{#- Times the contract accepts: none before not_before, and none more than max_hours_after the time in
    reference_column (for an event, when the log received it). Nulls are left to not_null. -#}
{% test time_bounds(model, column_name, not_before=none, reference_column=none, max_hours_after=none) %}

select
    {{ column_name }} as out_of_bounds_time
    {%- if reference_column is not none %},
        {{ reference_column }} as reference_time
    {%- endif %}
from {{ model }}
where
    {{ column_name }} is not null
    and (
        false
        {%- if not_before is not none %}
            or {{ column_name }} < {{ dbt.cast("'" ~ not_before ~ "'", dbt.type_timestamp()) }}
        {%- endif %}
        {%- if reference_column is not none and max_hours_after is not none %}
            or {{ column_name }} > {{ dbt.dateadd('hour', max_hours_after, reference_column) }}
        {%- endif %}
    )

{% endtest %}
