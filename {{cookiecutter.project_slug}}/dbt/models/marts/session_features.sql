-- What a model may know about a session while it is still running. Every feature comes from events before
-- the session's first purchase (or the whole session when there is none), which `sessions` counts in its one
-- pass over the events: once the shopper has bought, anything from then on would leak the label into
-- training. Only sessions are read here, so this model costs little.

with sessions as (
    select * from {{ ref('sessions') }}
),

prior_sessions as (
    -- rank() - 1 is the number of the user's sessions that started strictly before this one.
    select
        session_id,
        rank() over (partition by user_id order by started_at) - 1 as prior_sessions,
        {{ hour_of_day('started_at') }} as start_hour,
        {{ day_of_week('started_at') }} as start_weekday
    from sessions
)

select
    sessions.session_id,
    sessions.user_id,
    sessions.started_at as session_start,
    prior_sessions.prior_sessions,
    sessions.prior_purchases,
    sessions.pre_purchase_pageviews as n_pageviews,
    sessions.pre_purchase_detail_views as n_detail_views,
    sessions.pre_purchase_cart_adds as n_cart_adds,
    sessions.pre_purchase_cart_removes as n_cart_removes,
    sessions.pre_purchase_cart_adds - sessions.pre_purchase_cart_removes as net_cart_items,
    sessions.pre_purchase_distinct_products as n_distinct_products,
    sessions.pre_purchase_distinct_categories as n_distinct_categories,
    -- A session whose first event is the purchase has no pre-purchase activity: its time and prices are 0.
    coalesce(sessions.pre_purchase_seconds, 0) as session_seconds,
    -- A mean never exceeds its maximum; in doubles, rounding can put it one unit in the last place above.
    cast(
        coalesce(least(sessions.pre_purchase_mean_price_viewed, sessions.pre_purchase_max_price_viewed), 0)
        as {{ type_double() }}
    ) as mean_price_viewed,
    cast(coalesce(sessions.pre_purchase_max_price_viewed, 0) as {{ type_double() }}) as max_price_viewed,
    case when prior_sessions.start_hour between 18 and 22 then 1 else 0 end as is_evening,
    case when prior_sessions.start_weekday in (0, 6) then 1 else 0 end as is_weekend
from sessions
inner join prior_sessions on sessions.session_id = prior_sessions.session_id
