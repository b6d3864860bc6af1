-- A session belongs to one user: two users in one session means a producer reuses session ids, and per-user
-- history features are then wrong for those sessions. A warning, not an error: the log accepted every one of
-- these events, and one producer's bug must not stop every run. `sessions` keeps the smallest user id;
-- retract the batches at fault (README: correcting the log) to build without them.
-- (sessions holds each session's smallest and largest user id: they differ when it has two users. Read there,
-- this test checks a row per session instead of every event.)
{{ config(severity='warn') }}

select
    session_id,
    user_id as first_user_id,
    last_user_id
from {{ ref('sessions') }}
where user_id <> last_user_id
