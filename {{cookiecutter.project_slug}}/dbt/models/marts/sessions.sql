-- One row per browsing session: when it ran, what happened in it, whether it ended in a purchase, and what
-- happened before its first purchase (what session_features may use). Everything per session comes from one
-- pass over the events: a pass per aggregate would read, and on DuckDB deduplicate, every event again.

with events as {{ not_materialized() }} (
    select * from {{ ref('stg_events') }}
),

-- Purchases are few: read on their own, once, they give each session's first purchase, and each user's
-- purchases for session_features' history.
purchases as {{ materialized() }} (
    select
        event_id,
        session_id,
        user_id,
        event_time
    from events
    where event_type = 'purchase'
),

first_purchases as (
    select
        session_id,
        min(event_time) as first_purchase_at
    from purchases
    group by session_id
),

-- Each event, and whether it happened before its session's first purchase (every event of a session
-- without one did).
flagged as (
    select
        events.*,
        first_purchases.first_purchase_at,
        (first_purchases.first_purchase_at is null or events.event_time < first_purchases.first_purchase_at)
            as before_purchase
    from events
    left join first_purchases on events.session_id = first_purchases.session_id
),

per_session as (
    select
        session_id,
        -- A session belongs to one user; the sessions_have_one_user test warns when the log disagrees.
        min(user_id) as user_id,
        max(user_id) as last_user_id,
        min(event_time) as started_at,
        max(event_time) as ended_at,
        count(*) as n_events,
        count(case when event_type = 'pageview' then 1 end) as n_pageviews,
        count(case when event_type = 'detail' then 1 end) as n_detail_views,
        count(case when event_type = 'add_to_cart' then 1 end) as n_cart_adds,
        count(case when event_type = 'remove_from_cart' then 1 end) as n_cart_removes,
        count(case when event_type = 'purchase' then 1 end) as n_purchases,
        min(first_purchase_at) as first_purchase_at,
        coalesce(sum(case when event_type = 'purchase' then price end), 0) as revenue,
        -- Before the first purchase: once the shopper has bought, the question is answered, and anything
        -- from then on would leak the label into training.
        count(case when before_purchase and event_type = 'pageview' then 1 end) as pre_purchase_pageviews,
        count(case when before_purchase and event_type = 'detail' then 1 end) as pre_purchase_detail_views,
        count(case when before_purchase and event_type = 'add_to_cart' then 1 end) as pre_purchase_cart_adds,
        count(case when before_purchase and event_type = 'remove_from_cart' then 1 end)
            as pre_purchase_cart_removes,
        count(distinct case when before_purchase then product_id end) as pre_purchase_distinct_products,
        count(distinct case when before_purchase then category end) as pre_purchase_distinct_categories,
        {{ seconds_between(
            'min(case when before_purchase then event_time end)',
            'max(case when before_purchase then event_time end)'
        ) }} as pre_purchase_seconds,
        avg(case when before_purchase and event_type = 'detail' then price end)
            as pre_purchase_mean_price_viewed,
        max(case when before_purchase and event_type = 'detail' then price end)
            as pre_purchase_max_price_viewed
    from flagged
    group by session_id
),

prior_purchases as (
    -- Purchases the user made before this session started: by then they are known, and they can only
    -- belong to earlier sessions.
    select
        per_session.session_id,
        count(purchases.event_id) as prior_purchases
    from per_session
    left join purchases
        on
            per_session.user_id = purchases.user_id
            and per_session.started_at > purchases.event_time
    group by per_session.session_id
)

select
    per_session.*,
    prior_purchases.prior_purchases,
    per_session.n_purchases > 0 as purchased
from per_session
inner join prior_purchases on per_session.session_id = prior_purchases.session_id
