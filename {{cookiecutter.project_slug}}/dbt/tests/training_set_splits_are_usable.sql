-- Every split has sessions, and its purchase rate is plausible: an empty split or a constant label means the
-- cutoffs, the log or the sessionization broke, and a model trained on it would be meaningless.

with expected as (
    select 'train' as split
    union all
    select 'validation' as split
    union all
    select 'test' as split
),

observed as (
    select
        split,
        count(*) as n_sessions,
        avg(cast(label as {{ type_double() }})) as label_rate
    from {{ ref('training_set') }}
    group by split
)

select
    expected.split,
    observed.n_sessions,
    observed.label_rate
from expected
left join observed on expected.split = observed.split
where
    observed.n_sessions is null
    or observed.label_rate < {{ var('min_label_rate') }}
    or observed.label_rate > {{ var('max_label_rate') }}
