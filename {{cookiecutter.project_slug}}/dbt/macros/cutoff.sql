{#- A split cutoff from --vars as a timestamp literal. The dates come from Settings (the one source of truth),
    so there is deliberately no default here: a build without them fails instead of silently using stale dates. -#}
{% macro cutoff(name) %}
    {{ return(dbt.cast("'" ~ var(name) ~ "'", dbt.type_timestamp())) }}
{% endmacro %}

{#- True for a training set row outside the split its session_start implies. -#}
{% macro split_misses_cutoffs() %}
    ((split = 'train' and session_start >= {{ cutoff('train_cutoff') }})
    or (split = 'validation' and session_start < {{ cutoff('train_cutoff') }})
    or (split = 'validation' and session_start >= {{ cutoff('validation_cutoff') }})
    or (split = 'test' and session_start < {{ cutoff('validation_cutoff') }}))
{%- endmacro %}
