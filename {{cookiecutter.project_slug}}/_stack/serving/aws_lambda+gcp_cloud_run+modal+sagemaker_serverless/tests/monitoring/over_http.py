"""A week scored over HTTP, as an endpoint scores it: each session sent to `make serve-local`'s server as it
starts, and recorded in the log by the server's recorder. The serving target's fixtures say how its server
starts and where it scores (tests/fixtures_serving.py)."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import pandas as pd

from {{ cookiecutter.module_name }}.log.predictions import log_writer
from {{ cookiecutter.module_name }}.serving.api import Model
from {{ cookiecutter.module_name }}.serving.recording import Recorder
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES, KEY

from ..api_cases import body, call

# `make serve-local`'s server for a model, recording with a recorder, on a free port: its address while open.
Serve = Callable[[Model, Recorder | None], AbstractContextManager[str]]


class Clock:
    """The time the recorder dates predictions with: set to each session's start as it is sent."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def score_over_http(settings: Settings, week: pd.DataFrame, *, serve: Serve, route: str) -> None:
    """Each session of ``week`` scored once over HTTP by the accepted model, at ``route``, as it starts.

    The recorder takes its time from a clock (a parameter of the recorder, the wall clock by default) rather
    than from a patched ``datetime``: a week is replayed in seconds through the code path the service runs."""
    clock = Clock()
    recorder = Recorder(log_writer(settings), clock=clock)
    try:
        with serve(Scorer.load(settings.accepted_model_path), recorder) as base_url:
            for session in week.sort_values("session_start").to_dict("records"):
                clock.now = pd.Timestamp(session["session_start"]).to_pydatetime().replace(tzinfo=UTC)
                request = {KEY: session[KEY]} | {name: session[name] for name in FEATURES}
                status, answer = call(f"{base_url}{route}", body({"sessions": [request]}))
                assert status == 200, answer
    finally:
        recorder.close()  # what is still buffered goes to the log, as when the server stops
