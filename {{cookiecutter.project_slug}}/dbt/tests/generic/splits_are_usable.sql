{#- Every split has sessions, and its label rate is plausible: an empty split or a rate outside
    [min_label_rate, max_label_rate] means the cutoffs, the log or the sessions broke, and a model trained or
    judged on it would mean nothing. Each failing split comes back with its sessions and rate. -#}
{% test splits_are_usable(model, split_column, label_column, splits, min_label_rate, max_label_rate) %}

with expected as (
    {%- for split in splits %}
        select '{{ split }}' as split
        {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

observed as (
    select
        {{ split_column }} as split,
        count(*) as n_sessions,
        avg(cast({{ label_column }} as {{ type_double() }})) as label_rate
    from {{ model }}
    group by {{ split_column }}
)

select
    expected.split,
    coalesce(observed.n_sessions, 0) as n_sessions,
    observed.label_rate
from expected
left join observed on expected.split = observed.split
where
    observed.n_sessions is null
    or observed.label_rate < {{ min_label_rate }}
    or observed.label_rate > {{ max_label_rate }}

{% endtest %}
