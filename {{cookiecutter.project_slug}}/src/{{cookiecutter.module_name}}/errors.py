"""Why a run stops on purpose. Every stage's own failures derive from ``StageError``: their message says what
failed (which check, which split, how many rows) and what to do, so an orchestrator shows that message and
exits non-zero instead of a traceback. Bad settings and a broken ``contract.toml`` stop a run the same way."""

from pydantic import ValidationError

from .contract import ContractError


class StageError(Exception):
    """A stage refused to go on; ``str()`` is the whole story for the person reading the terminal."""

    # How the run's folder records it: "stopped", or "rejected" when the model gate judged the candidate.
    outcome = "stopped"


STOPS = (StageError, ValidationError, ContractError)
