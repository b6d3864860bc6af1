-- A session belongs to one user: two users in one session means a producer reuses session ids, and per-user
-- history features would be wrong.

select
    session_id,
    count(distinct user_id) as n_users
from {{ ref('stg_events') }}
group by session_id
having count(distinct user_id) > 1
