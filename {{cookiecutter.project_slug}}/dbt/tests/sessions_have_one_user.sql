-- A session belongs to one user: two users in one session means a producer reuses session ids, and per-user
-- history features are then wrong for those sessions. A warning, not an error: the log accepted every one of
-- these events, and one producer's bug must not stop every run. `sessions` keeps the smallest user id;
-- retract the batches at fault (README: correcting the log) to build without them.
-- (min <> max says the same as count(distinct) > 1, without the distinct.)
{{ config(severity='warn') }}

select
    session_id,
    min(user_id) as first_user_id,
    max(user_id) as last_user_id
from {{ ref('stg_events') }}
group by session_id
having min(user_id) <> max(user_id)
