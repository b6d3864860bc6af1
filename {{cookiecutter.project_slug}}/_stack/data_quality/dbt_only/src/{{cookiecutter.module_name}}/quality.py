"""The training set's checks when dbt's tests are the data-quality tool.

``dbt build`` already ran every test in ``dbt/`` (keys, accepted values, ranges, one user per session, splits
that follow the cutoffs, plausible label rates) and stopped the transform stage, before this gate, on any
failure. What stays here is what SQL tests express badly: that the columns are the ones
``training_set.py`` promises, that every split is big enough to learn from or judge on, and that the log
reaches far enough past the validation cutoff to leave a real holdout.
"""

from datetime import timedelta

import pandas as pd

from .gate import Failure
from .settings import Settings
from .training_set import COLUMNS, SPLIT, SPLITS

# Fewer sessions than this leave a few dozen purchases in a split: its metrics would be noise.
MIN_SESSIONS_PER_SPLIT = 200
# The newest session must start this long after the validation cutoff, or the holdout is a day or two of
# traffic (or the log stopped arriving).
MIN_HOLDOUT = timedelta(days=5)


def check(frame: pd.DataFrame, settings: Settings) -> list[Failure]:
    """Every failed check; checks on a missing column are left to the column check, which names it."""
    failures = columns(frame)
    if SPLIT in frame.columns:
        failures += split_sizes(frame)
    if "session_start" in frame.columns:
        failures += freshness(frame, settings)
    return failures


def columns(frame: pd.DataFrame) -> list[Failure]:
    """The columns dbt built are exactly those the later stages read."""
    missing = [name for name in COLUMNS if name not in frame.columns]
    unexpected = [name for name in frame.columns if name not in COLUMNS]
    if not missing and not unexpected:
        return []
    found = {"missing": missing, "unexpected": unexpected}
    detail = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in found.items() if names)
    fix = "make dbt/models/ml/training_set.sql and training_set.py name the same columns"
    return [Failure("column set", None, 0, f"{detail}: {fix}")]


def split_sizes(frame: pd.DataFrame) -> list[Failure]:
    """A row count per split: dbt's tests only ask that each split is not empty."""
    sessions = frame[SPLIT].value_counts()
    return [
        Failure(
            f"at least {MIN_SESSIONS_PER_SPLIT} sessions per split",
            SPLIT,
            0,
            f"{split} has {sessions.get(split, 0):,}: append more events or widen the split's dates",
        )
        for split in SPLITS
        if sessions.get(split, 0) < MIN_SESSIONS_PER_SPLIT
    ]


def freshness(frame: pd.DataFrame, settings: Settings) -> list[Failure]:
    """The log reaches at least MIN_HOLDOUT past the validation cutoff, so the model gate has a holdout."""
    cutoff = pd.Timestamp(settings.validation_cutoff)
    newest = frame["session_start"].max()
    if pd.notna(newest) and newest >= cutoff + MIN_HOLDOUT:
        return []
    reach = "no session" if pd.isna(newest) else f"the newest session starts {newest:%Y-%m-%d %H:%M}"
    return [
        Failure(
            f"holdout of at least {MIN_HOLDOUT.days} days",
            "session_start",
            0,
            f"{reach}, validation cutoff {settings.validation_cutoff}: append newer events or move the "
            "cutoffs back",
        )
    ]
