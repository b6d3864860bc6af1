"""The fixtures every target with `make serve-local` shares: its server (``running`` and ``SCORING_ROUTE``,
from the target's own tests/fixtures_serving.py) serving the stand-in model, and scoring a week over HTTP."""

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import pytest

from .fixtures_serving import SCORING_ROUTE, running

if TYPE_CHECKING:
    from .monitoring.week import ScoreWeek


@pytest.fixture
def base_url() -> Iterator[str]:
    """`make serve-local`'s server, serving the stand-in model on a free port of localhost: its address.

    What it prints goes to this process's stdout and stderr, where ``capfd`` finds it."""
    from .api_cases import SCORER

    with running(SCORER) as url:
        yield url


@pytest.fixture
def score_week() -> "ScoreWeek":
    """A week scored over HTTP by `make serve-local`'s server and recorded by its recorder."""
    from .monitoring.over_http import score_over_http

    return partial(score_over_http, serve=running, route=SCORING_ROUTE)
