-- What a model may know about a session while it is still running. Every feature comes from events before
-- the session's first purchase (or the whole session when there is none), which `sessions` counts in its one
-- pass over the events: once the shopper has bought, anything from then on would leak the label into
-- training. Only sessions are read here, so this model costs little.

with sessions as (
    select
        *,
        {{ hour_of_day('started_at') }} as start_hour,
        {{ day_of_week('started_at') }} as start_weekday
    from {{ ref('sessions') }}
)

select
    session_id,
    user_id,
    started_at as session_start,
    -- The number of the user's sessions that started strictly before this one.
    rank() over (partition by user_id order by started_at) - 1 as prior_sessions,
    prior_purchases,
    pre_purchase_pageviews as n_pageviews,
    pre_purchase_detail_views as n_detail_views,
    pre_purchase_cart_adds as n_cart_adds,
    pre_purchase_cart_removes as n_cart_removes,
    pre_purchase_cart_adds - pre_purchase_cart_removes as net_cart_items,
    pre_purchase_distinct_products as n_distinct_products,
    pre_purchase_distinct_categories as n_distinct_categories,
    -- A session whose first event is the purchase has no pre-purchase activity: its time and prices are 0.
    coalesce(pre_purchase_seconds, 0) as session_seconds,
    -- A mean never exceeds its maximum; in doubles, rounding can put it one unit in the last place above.
    cast(
        coalesce(least(pre_purchase_mean_price_viewed, pre_purchase_max_price_viewed), 0)
        as {{ type_double() }}
    ) as mean_price_viewed,
    cast(coalesce(pre_purchase_max_price_viewed, 0) as {{ type_double() }}) as max_price_viewed,
    case when start_hour between 18 and 22 then 1 else 0 end as is_evening,
    case when start_weekday in (0, 6) then 1 else 0 end as is_weekend
from sessions
