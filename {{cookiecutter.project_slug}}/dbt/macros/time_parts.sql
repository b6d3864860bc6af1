{#- Portable time arithmetic over dbt's cross-database macros. Engines disagree on date_part names and on
    day-of-week numbering, but they agree on date differences. -#}

{#- Whole seconds, an integer on every engine (Postgres derives it from date_part, a double). -#}
{% macro seconds_between(start, end) %}
    {{ return(dbt.cast(dbt.datediff(start, end, 'second') | trim, dbt.type_bigint()) | trim) }}
{% endmacro %}

{#- 0 to 23. -#}
{% macro hour_of_day(timestamp) %}
    {{ return(dbt.datediff(dbt.date_trunc('day', timestamp), timestamp, 'hour') | trim) }}
{% endmacro %}

{#- 0 is Sunday, 6 is Saturday: days since Sunday 1900-01-07, modulo 7. -#}
{% macro day_of_week(timestamp) %}
    {%- set a_sunday = dbt.cast("'1900-01-07'", dbt.type_timestamp()) | trim -%}
    {{ return('mod(' ~ (dbt.datediff(a_sunday, timestamp, 'day') | trim) ~ ', 7)') }}
{% endmacro %}
