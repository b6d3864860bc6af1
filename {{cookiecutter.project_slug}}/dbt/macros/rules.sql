{#- The rules test's parts (dbt/tests/generic/rules.sql). -#}

{#- True for a row that breaks a per-row rule. -#}
{% macro rule_broken(rule) %}
    {%- set column = rule.column %}
    {%- if rule.test == 'not_null' -%}
        ({{ column }} is null{% if rule.get('where') %} and ({{ rule.where }}){% endif %})
    {%- elif rule.test == 'satisfies' -%}
        (not ({{ rule.expression }}))
    {%- else -%}
        ({{ column }} is not null and (false
        {%- if rule.test == 'valid_text' %}
            or {{ is_blank(column) }}
            {%- if rule.get('max_length') is not none %}
                or length({{ column }}) > {{ rule.max_length }}
            {%- endif %}
        {%- elif rule.test == 'accepted_values' %}
            {%- set quote = rule.get('quote', true) %}
            or {{ column }} not in (
                {%- for value in rule['values'] -%}
                    {{ "'" ~ (value | string | replace("'", "''")) ~ "'" if quote else value }}
                    {{- ', ' if not loop.last }}
                {%- endfor -%}
            )
        {%- elif rule.test == 'in_range' %}
            {%- if rule.get('min_value') is not none %}
                or {{ column }} < {{ rule.min_value }}
            {%- endif %}
            {%- if rule.get('max_value') is not none %}
                or {{ column }} > {{ rule.max_value }}
            {%- endif %}
        {%- elif rule.test == 'time_bounds' %}
            {%- if rule.get('not_before') is not none %}
                or {{ column }} < {{ dbt.cast("'" ~ rule.not_before ~ "'", dbt.type_timestamp()) }}
            {%- endif %}
            {%- if rule.get('reference_column') is not none and rule.get('max_hours_after') is not none %}
                or {{ column }} > {{ dbt.dateadd('hour', rule.max_hours_after, rule.reference_column) }}
            {%- endif %}
        {%- else %}
            {{ exceptions.raise_compiler_error("rules: unknown test '" ~ rule.test ~ "' in rule " ~ rule.name) }}
        {%- endif %}
        ))
    {%- endif -%}
{% endmacro %}


{#- An example row as text: the examples columns and the rule's own, as 'event_id="e1", price="-1.0"'. -#}
{% macro rule_example(rule, examples) %}
    {%- set columns = examples + ([rule.column] if rule.get('column') and rule.column not in examples else []) %}
    {%- set parts = [] %}
    {%- for column in columns %}
        {%- do parts.append("'" ~ (', ' if not loop.first else '') ~ column ~ "='") %}
        {%- set quoted = dbt.concat(["'\"'", "cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")", "'\"'"]) %}
        {%- do parts.append("coalesce(" ~ quoted ~ ", 'null')") %}
    {%- endfor %}
    {#- Never null: the rules test counts a rule's broken rows by their examples. #}
    {{- dbt.concat(parts) if parts else "''" -}}
{% endmacro %}


{#- A rule over the model's rows together: a query with one row, its failures and an example. -#}
{% macro rule_set_check(model, rule) %}
    {%- if rule.test == 'unique' %}
        select
            count(*) as failures,
            min(cast(value as {{ dbt.type_string() }})) as example
        from (
            select {{ rule.column }} as value
            from {{ model }}
            where {{ rule.column }} is not null
            group by {{ rule.column }}
            having count(*) > 1
        ) as duplicates
    {%- elif rule.test == 'relationships' %}
        select
            count(*) as failures,
            min(cast(child.{{ rule.column }} as {{ dbt.type_string() }})) as example
        from {{ model }} as child
        left join {{ ref(rule.to) }} as parent on child.{{ rule.column }} = parent.{{ rule.field }}
        where child.{{ rule.column }} is not null and parent.{{ rule.field }} is null
    {%- elif rule.test == 'splits_are_usable' %}
        select
            count(*) as failures,
            min(
                {{ dbt.concat([
                    "'split=\"'", "expected.split", "'\", n_rows='",
                    "cast(coalesce(observed.n_rows, 0) as " ~ dbt.type_string() ~ ")",
                    "', label_rate='",
                    "coalesce(cast(observed.label_rate as " ~ dbt.type_string() ~ "), 'null')"
                ]) }}
            ) as example
        from (
            {%- for split in rule.splits %}
                select '{{ split }}' as split
                {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as expected
        left join (
            select
                {{ rule.split_column }} as split,
                count(*) as n_rows,
                avg(cast({{ rule.label_column }} as {{ type_double() }})) as label_rate
            from {{ model }}
            group by {{ rule.split_column }}
        ) as observed on expected.split = observed.split
        where
            observed.n_rows is null
            or observed.label_rate < {{ rule.min_label_rate }}
            or observed.label_rate > {{ rule.max_label_rate }}
    {%- else %}
        {{ exceptions.raise_compiler_error("rules: unknown test '" ~ rule.test ~ "' in rule " ~ rule.name) }}
    {%- endif %}
{% endmacro %}


{#- True for text that is empty or only what trim() removes. Cheap tests first: trimming every value of a
    column cost more than the rest of the rules together, and a value is blank only when its first character
    is. DuckDB's trim() removes spaces only, so there a LIKE finds the values worth trimming. -#}
{% macro is_blank(column) %}
    {{ return(adapter.dispatch('is_blank')(column)) }}
{% endmacro %}

{% macro default__is_blank(column) %}
    {{ return("(trim(substr(" ~ column ~ ", 1, 1)) = '' and trim(" ~ column ~ ") = '')") }}
{% endmacro %}

{% macro duckdb__is_blank(column) %}
    {{ return("(" ~ column ~ " = '' or (" ~ column ~ " like ' %' and trim(" ~ column ~ ") = ''))") }}
{% endmacro %}
