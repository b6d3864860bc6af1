"""The training set's contract: the columns dbt's ``training_set`` model produces and every later stage reads.

Adding a feature means adding a column to ``dbt/models/ml/training_set.sql`` and its name here; the quality
gate fails loudly when the two disagree.
"""

KEY = "session_id"
LABEL = "label"
SPLIT = "split"
SPLITS = ("train", "validation", "test")
IDENTIFIERS = (KEY, "user_id", "session_start")

# Whole numbers counted from the log, never negative.
COUNTS = (
    "n_pageviews",
    "n_detail_views",
    "n_cart_adds",
    "n_cart_removes",
    "n_distinct_products",
    "n_distinct_categories",
    "prior_sessions",
    "prior_purchases",
)
FLAGS = ("is_evening", "is_weekend")
# Non-negative amounts: seconds and prices.
AMOUNTS = ("session_seconds", "mean_price_viewed", "max_price_viewed")
# Cart adds minus removes: negative when a session empties a cart filled earlier.
SIGNED = ("net_cart_items",)

FEATURES = (*COUNTS, *FLAGS, *AMOUNTS, *SIGNED)
COLUMNS = (*IDENTIFIERS, SPLIT, LABEL, *FEATURES)
