-- What a model may know about a session while it is still running. Every feature comes from events before
-- the session's first purchase (or the whole session when there is none): once the shopper has bought, the
-- question is answered, and anything from then on would leak the label into training.

with sessions as (
    select * from {{ ref('sessions') }}
),

-- The events are read where they are used rather than through one import CTE: DuckDB materializes a CTE
-- that is read twice, which would copy every event once more.
pre_purchase_events as (
    select events.*
    from {{ ref('stg_events') }} as events
    inner join sessions on events.session_id = sessions.session_id
    where sessions.first_purchase_at is null or events.event_time < sessions.first_purchase_at
),

activity as (
    select
        session_id,
        count(case when event_type = 'pageview' then 1 end) as n_pageviews,
        count(case when event_type = 'detail' then 1 end) as n_detail_views,
        count(case when event_type = 'add_to_cart' then 1 end) as n_cart_adds,
        count(case when event_type = 'remove_from_cart' then 1 end) as n_cart_removes,
        {{ seconds_between('min(event_time)', 'max(event_time)') }} as session_seconds,
        avg(case when event_type = 'detail' then price end) as mean_price_viewed,
        max(case when event_type = 'detail' then price end) as max_price_viewed
    from pre_purchase_events
    group by session_id
),

catalog_breadth as (
    -- Distinct counts are the costly aggregate; they skip nulls, so events naming no product or category
    -- (most are pageviews) are left out before counting.
    select
        session_id,
        count(distinct product_id) as n_distinct_products,
        count(distinct category) as n_distinct_categories
    from pre_purchase_events
    where product_id is not null or category is not null
    group by session_id
),

prior_sessions as (
    -- rank() - 1 is the number of the user's sessions that started strictly before this one.
    select
        session_id,
        rank() over (partition by user_id order by started_at) - 1 as prior_sessions
    from sessions
),

prior_purchases as (
    -- Purchases the user made before this session started: by then they are known, and they can only
    -- belong to earlier sessions.
    select
        sessions.session_id,
        count(purchases.event_id) as prior_purchases
    from sessions
    left join {{ ref('stg_events') }} as purchases
        on
            sessions.user_id = purchases.user_id
            and purchases.event_type = 'purchase'
            and sessions.started_at > purchases.event_time
    group by sessions.session_id
),

start_time as (
    select
        session_id,
        {{ hour_of_day('started_at') }} as start_hour,
        {{ day_of_week('started_at') }} as start_weekday
    from sessions
)

select
    sessions.session_id,
    sessions.user_id,
    sessions.started_at as session_start,
    prior_sessions.prior_sessions,
    prior_purchases.prior_purchases,
    -- A session whose first event is the purchase has no pre-purchase activity: all its counts are 0.
    coalesce(activity.n_pageviews, 0) as n_pageviews,
    coalesce(activity.n_detail_views, 0) as n_detail_views,
    coalesce(activity.n_cart_adds, 0) as n_cart_adds,
    coalesce(activity.n_cart_removes, 0) as n_cart_removes,
    coalesce(activity.n_cart_adds, 0) - coalesce(activity.n_cart_removes, 0) as net_cart_items,
    coalesce(catalog_breadth.n_distinct_products, 0) as n_distinct_products,
    coalesce(catalog_breadth.n_distinct_categories, 0) as n_distinct_categories,
    coalesce(activity.session_seconds, 0) as session_seconds,
    -- A mean never exceeds its maximum; in doubles, rounding can put it one unit in the last place above.
    cast(coalesce(least(activity.mean_price_viewed, activity.max_price_viewed), 0) as {{ type_double() }})
        as mean_price_viewed,
    cast(coalesce(activity.max_price_viewed, 0) as {{ type_double() }}) as max_price_viewed,
    case when start_time.start_hour between 18 and 22 then 1 else 0 end as is_evening,
    case when start_time.start_weekday in (0, 6) then 1 else 0 end as is_weekend
from sessions
left join activity on sessions.session_id = activity.session_id
left join catalog_breadth on sessions.session_id = catalog_breadth.session_id
inner join start_time on sessions.session_id = start_time.session_id
inner join prior_sessions on sessions.session_id = prior_sessions.session_id
inner join prior_purchases on sessions.session_id = prior_purchases.session_id
