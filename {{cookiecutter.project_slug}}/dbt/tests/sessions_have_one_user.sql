-- A session belongs to one user: two users in one session means a producer reuses session ids, and per-user
-- history features would be wrong. (min <> max says the same as count(distinct) > 1, without the distinct.)

select
    session_id,
    min(user_id) as first_user_id,
    max(user_id) as last_user_id
from {{ ref('stg_events') }}
group by session_id
having min(user_id) <> max(user_id)
