"""The serving target's fixture: with no endpoint, predictions are the nightly batch (`make package`)."""

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.settings import Settings

if TYPE_CHECKING:
    from .monitoring.week import ScoreWeek


@pytest.fixture
def score_week() -> "ScoreWeek":
    """A week scored day by day as the nightly batch predictions score it: after each day, the holdout of the
    sessions so far scored by the accepted model and recorded in the log, each prediction dated at its
    session's start (``release/package.py``; predictions recorded on an earlier night are not recorded
    again)."""
    from {{ cookiecutter.module_name }}.release.package import predict
    from {{ cookiecutter.module_name }}.warehouse.read import load_training_set

    def score(settings: Settings, week: pd.DataFrame) -> None:
        sessions = load_training_set(settings)
        started_on = pd.to_datetime(sessions["session_start"]).dt.date
        nights: list[date] = sorted(set(pd.to_datetime(week["session_start"]).dt.date))
        for night in nights:
            predict(sessions[started_on <= night], settings)

    return score
