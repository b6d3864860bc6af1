-- The table training reads: one row per session with its features, its label and its split. The split is by
-- session start time, with the cutoffs from Settings, so validation and test sessions are always later than
-- the sessions the model learns from.

with features as (
    select * from {{ ref('session_features') }}
),

sessions as (
    select * from {{ ref('sessions') }}
)

select
    features.session_id,
    features.user_id,
    features.session_start,
    case
        when features.session_start < {{ cutoff('train_cutoff') }} then 'train'
        when features.session_start < {{ cutoff('validation_cutoff') }} then 'validation'
        else 'test'
    end as split,
    case when sessions.purchased then 1 else 0 end as label,
    features.n_pageviews,
    features.n_detail_views,
    features.n_cart_adds,
    features.n_cart_removes,
    features.net_cart_items,
    features.n_distinct_products,
    features.n_distinct_categories,
    features.session_seconds,
    features.mean_price_viewed,
    features.max_price_viewed,
    features.is_evening,
    features.is_weekend,
    features.prior_sessions,
    features.prior_purchases
from features
inner join sessions on features.session_id = sessions.session_id
