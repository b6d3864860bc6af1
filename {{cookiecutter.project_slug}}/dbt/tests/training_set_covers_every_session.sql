-- No session is lost or invented between the log and the training set. `sessions` has a row for each session
-- id among the staged events (its group by cannot lose or invent one, and its tests refuse a null id), so
-- its rows are counted here instead of the distinct ids of every event.

with logged as (
    select count(*) as n_sessions
    from {{ ref('sessions') }}
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
