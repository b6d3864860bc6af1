{#- Text the contract accepts: never blank, and at most max_length characters when it sets a limit. Nulls are
    left to not_null. (The log also refuses control characters; SQL engines disagree on how to match them.) -#}
{% test valid_text(model, column_name, max_length=none) %}

select {{ column_name }} as invalid_text
from {{ model }}
where
    {{ column_name }} is not null
    and (
        length(trim({{ column_name }})) = 0
        {%- if max_length is not none %}
            or length({{ column_name }}) > {{ max_length }}
        {%- endif %}
    )

{% endtest %}
