-- One row per browsing session: when it ran, what happened in it, and whether it ended in a purchase.

with events as (
    select * from {{ ref('stg_events') }}
)

select
    session_id,
    -- A session belongs to one user; the sessions_have_one_user test fails the build if the log disagrees.
    min(user_id) as user_id,
    min(event_time) as started_at,
    max(event_time) as ended_at,
    count(*) as n_events,
    count(case when event_type = 'pageview' then 1 end) as n_pageviews,
    count(case when event_type = 'detail' then 1 end) as n_detail_views,
    count(case when event_type = 'add_to_cart' then 1 end) as n_cart_adds,
    count(case when event_type = 'remove_from_cart' then 1 end) as n_cart_removes,
    count(case when event_type = 'purchase' then 1 end) as n_purchases,
    count(case when event_type = 'purchase' then 1 end) > 0 as purchased,
    min(case when event_type = 'purchase' then event_time end) as first_purchase_at,
    coalesce(sum(case when event_type = 'purchase' then price end), 0) as revenue
from events
group by session_id
