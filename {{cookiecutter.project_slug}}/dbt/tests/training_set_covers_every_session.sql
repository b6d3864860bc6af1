-- No session is lost or invented between the log and the training set.

with logged as (
    select count(distinct session_id) as n_sessions
    from {{ ref('stg_events') }}
),

trainable as (
    select count(*) as n_sessions
    from {{ ref('training_set') }}
)

select
    logged.n_sessions as logged_sessions,
    trainable.n_sessions as training_set_sessions
from logged
cross join trainable
where logged.n_sessions <> trainable.n_sessions
