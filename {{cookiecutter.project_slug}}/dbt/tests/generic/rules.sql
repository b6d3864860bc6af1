{#- Every rule of a model, checked in one test: one scan of the model counts the rows that break each rule
    (a conditional count per rule), and the test returns a row per broken rule, named as dbt would name that
    rule's own test (not_null_stg_events_session_id...), with how many rows break it and an example row.
    One test instead of one per rule: each dbt test is a query and a node of its own, which costs far more
    than the rule it checks.

    rules: each a mapping with the rule's `name` and `test`, and that test's arguments:
        not_null        column, where (optional: the rows the rule applies to)
        valid_text      column, max_length (optional): never blank, never longer
        accepted_values column, values, quote (default true)
        in_range        column, min_value, max_value (either optional; inclusive)
        time_bounds     column, not_before, reference_column and max_hours_after (each optional)
        satisfies       expression: rows where it is false break it
        unique          column
        relationships   column, to (a model's name), field
        splits_are_usable  split_column, label_column, splits, min_label_rate, max_label_rate: every split has
                        rows, with a label rate inside the bounds (example: the first bad split)
    examples: the columns an example row shows, beside the rule's own column.
    Nulls break only not_null. -#}
{% test rules(model, rules, examples=[]) %}
    {%- set per_row = ['not_null', 'valid_text', 'accepted_values', 'in_range', 'time_bounds', 'satisfies'] %}
    {%- set scanned = rules | selectattr('test', 'in', per_row) | list %}
    {%- set by_set = rules | rejectattr('test', 'in', per_row) | list %}

with
{%- if scanned %}
    -- A rule's broken rows are counted by their examples (never null): the condition is then written, and
    -- evaluated, once per rule, where a count and an example of their own would evaluate it twice.
    scanned as (
        select
        {%- for rule in scanned %}
            {%- set found = "case when " ~ rule_broken(rule) ~ " then " ~ rule_example(rule, examples) ~ " end" %}
            count({{ found }}) as failures_{{ loop.index }},
            min({{ found }}) as example_{{ loop.index }}
            {{- ',' if not loop.last }}
        {%- endfor %}
        from {{ model }}
    ),

    -- The one row of counts, turned into a row per rule (reading `scanned` once: some engines run a common
    -- table expression again for each reference).
    per_row_rules as (
    {%- for rule in scanned %}
        select
            {{ loop.index }} as rule_number,
            '{{ rule.name }}' as rule_name
        {%- if not loop.last %}
        union all
        {%- endif %}
    {%- endfor %}
    ),
{%- endif %}
{%- for rule in by_set %}

    set_{{ loop.index }} as (
        {{ rule_set_check(model, rule) }}
    ),
{%- endfor %}

    results as (
    {%- if scanned %}
        select
            per_row_rules.rule_name,
            case per_row_rules.rule_number
            {%- for rule in scanned %}
                when {{ loop.index }} then scanned.failures_{{ loop.index }}
            {%- endfor %}
            end as failures,
            case per_row_rules.rule_number
            {%- for rule in scanned %}
                when {{ loop.index }} then scanned.example_{{ loop.index }}
            {%- endfor %}
            end as example
        from scanned
        cross join per_row_rules
        {%- if by_set %}
        union all
        {%- endif %}
    {%- endif %}
    {%- for rule in by_set %}
        select
            '{{ rule.name }}' as rule_name,
            failures,
            example
        from set_{{ loop.index }}
        {%- if not loop.last %}
        union all
        {%- endif %}
    {%- endfor %}
    )

select
    rule_name,
    failures,
    example
from results
where failures > 0

{% endtest %}
