"""Retraining on a schedule (`make retrain`, and the orchestrator's own scheduled runs): the monitoring gate
on the recorded predictions, then the whole pipeline through its gates, then an alert when the outcome calls
for one (``monitoring/alerts.py``, to the ``alert_webhook_url`` setting).

    monitor (make monitor's gate) -> log -> transform -> quality gate -> train -> evaluate (model gate,
    champion and challenger) -> package -> decide: alert or not

When it alerts, and what the exit status says (``decide``):

- any stage of the pipeline stopped the run (the quality gate, a broken contract...) or crashed: alert; the
  accepted model stays;
- monitoring flagged the accepted model (a feature drifted, realised performance fell) or could not judge it:
  alert, even when the retrained model replaced it, as the world the model scores has changed and a person
  should look at why; the alert says whether the challenger won;
- the model gate kept the champion while monitoring found nothing wrong: no alert, this is normal (a model
  retrained on a little more of the same data rarely beats the champion by the margin);
- the retrained model was accepted and monitoring found nothing wrong, or there was nothing to judge yet (no
  accepted model, no predictions recorded): no alert.

An alert exits 1 (2 if it could not be delivered), so the scheduler shows the run red; anything else exits 0.
Under an orchestrator, a run that alerted fails (its last step, or the stage that stopped it).
A stage's failure is its own message, as in `make run`, before the decision.
"""

import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .errors import STOPS, StageError
from .monitoring.alerts import Alert, AlertError, send
from .runs import Run, accepted
from .settings import Settings
from .story import say, shown

# What monitoring found, before retraining.
PASSED = "passed"
FLAGGED = "flagged"  # the monitoring gate failed: drift, or realised performance
BROKEN = "could not monitor"  # the monitoring models did not build, or the check crashed
NOTHING = "nothing to judge"  # an accepted model, but no predictions recorded yet
NO_MODEL = "no accepted model"  # the first run: nothing to monitor, retraining makes the first model

# How the pipeline's run ended (``runs.py`` records it in the run's folder).
ACCEPTED = "accepted"
REJECTED = "rejected"  # the model gate refused the challenger: the champion stays
UNFINISHED = "ended without an outcome"  # killed, or it failed before its run began


class AlertedError(StageError):
    """A scheduled run that alerted: its orchestrator shows it failed."""


@dataclass(frozen=True)
class Verdict:
    """The monitoring gate's verdict on the accepted model, before retraining: plain values, so an
    orchestrator can pass it from step to step."""

    status: str
    findings: tuple[str, ...] = ()
    report: str = ""

    @property
    def flagged(self) -> bool:
        """The accepted model needs a person's attention: it drifted, performs worse, or was not judged."""
        return self.status in (FLAGGED, BROKEN)

    def line(self) -> str:
        if self.status == FLAGGED:
            return f"monitoring gate failed {len(self.findings)} check(s): " + "; ".join(self.findings)
        if self.status == BROKEN:
            return f"monitoring could not judge the accepted model: {' '.join(self.findings)}"
        if self.status == PASSED:
            return "monitoring gate passed"
        if self.status == NOTHING:
            return "monitoring: nothing to judge yet, no predictions recorded"
        return "monitoring: no accepted model yet, so retraining makes the first"


@dataclass(frozen=True)
class Outcome:
    """How the pipeline's run ended: ``result`` is accepted, rejected, stopped, crashed or unfinished."""

    result: str
    stage: str = ""
    message: str = ""
    run: Run | None = None


@dataclass(frozen=True)
class Decision:
    """Whether to alert, what failed (the alert's ``failed`` field), and what happened, in a few lines."""

    alert: bool
    failed: str
    text: str
    report: str = ""


def monitor(settings: Settings) -> Verdict:
    """The monitoring gate on the recorded predictions, as `make monitor` runs it, told in one line; never
    raises, so the pipeline retrains whatever it finds."""
    verdict = judge(settings)
    say("monitor", verdict.line() + (f" (report: {verdict.report})" if verdict.report else ""))
    return verdict


def judge(settings: Settings) -> Verdict:
    from .monitoring.gate import check

    if accepted(settings) is None:
        return Verdict(NO_MODEL)
    try:
        found = check(settings)
    except STOPS as error:
        return Verdict(BROKEN, (" ".join(str(error).split()),))
    except Exception as error:  # a bug in monitoring must not stop retraining, and must be seen
        traceback.print_exc()
        return Verdict(BROKEN, (f"{type(error).__name__}: {error}",))
    report = shown(found.report_path)
    if found.failures:
        return Verdict(FLAGGED, tuple(str(failure) for failure in found.failures), report)
    if found.tables["daily_predictions"].empty:
        return Verdict(NOTHING, report=report)
    return Verdict(PASSED, report=report)


def outcome_of(run: Run | None) -> Outcome:
    """How ``run`` ended, from its folder."""
    recorded = run.outcome() if run is not None else None
    if recorded is None:
        return Outcome(UNFINISHED, run=run)
    return Outcome(recorded["outcome"], recorded.get("stage", ""), recorded.get("message", ""), run)


def latest_outcome(settings: Settings, since: datetime) -> Outcome:
    """How the latest run that ended after ``since`` ended: the pipeline's, when it ran in this process."""
    ended = [(Run(path), Run(path).outcome()) for path in settings.runs_dir.glob("*") if path.is_dir()]
    recent = [(run, o) for run, o in ended if o is not None and datetime.fromisoformat(o["at"]) >= since]
    if not recent:
        return Outcome(UNFINISHED)
    run, _ = max(recent, key=lambda pair: pair[1]["at"])
    return outcome_of(run)


def decide(verdict: Verdict, outcome: Outcome) -> Decision:
    """Whether the run alerts (see the module's docstring), and what it tells."""
    first_line = outcome.message.strip().splitlines()[0] if outcome.message.strip() else ""
    evidence = shown(outcome.run.dir) if outcome.run is not None else ""
    if outcome.result not in (ACCEPTED, REJECTED):
        where = f" at {outcome.stage}" if outcome.stage else ""
        why = f": {first_line}" if first_line else ""
        text = f"retraining {outcome.result}{where}{why}; the accepted model stays. {verdict.line()}"
        return Decision(True, outcome.stage or "pipeline", text, evidence)
    if outcome.result == REJECTED:
        if verdict.flagged:
            text = (
                f"{verdict.line()}; the retrained challenger did not replace the champion ({first_line}): "
                "the champion stays but needs replacing: look at the monitoring report, and at what changed "
                "upstream"
            )
            return Decision(True, "model gate", text, verdict.report or evidence)
        text = (
            f"{verdict.line()}; the model gate kept the champion ({first_line}): normal when nothing "
            "drifted, no alert"
        )
        return Decision(False, "", text, evidence)
    version = _version(outcome.run)
    if verdict.flagged:
        text = (
            f"{verdict.line()}; the retrained model {version} passed the gates and replaced the champion: "
            "look at what changed upstream"
        )
        return Decision(True, "monitoring", text, verdict.report)
    return Decision(False, "", f"{verdict.line()}; the retrained model {version} was accepted", evidence)


def conclude(verdict: Verdict, outcome: Outcome, settings: Settings) -> int:
    """Tell the decision, send the alert it calls for, and return the exit status: 0, 1 (alerted) or 2 (the
    alert could not be delivered)."""
    decision = decide(verdict, outcome)
    if not decision.alert:
        say("retrain", decision.text)
        return 0
    print(f"retrain: alert: {decision.text}", file=sys.stderr, flush=True)
    run_id = outcome.run.id if outcome.run is not None else None
    try:
        say("retrain", send(Alert(decision.failed, decision.text, decision.report, run_id), settings))
    except AlertError as error:
        print(f"retrain: {error}", file=sys.stderr, flush=True)
        return 2
    return 1


def retrain(settings: Settings, run_pipeline: Callable[[], object], started: datetime) -> int:
    """Monitor, run the pipeline in this process (``run_pipeline``), and conclude; returns the exit status.
    ``started``: when the command began, so the run it made is found among the run folders."""
    verdict = monitor(settings)
    try:
        run_pipeline()
    except STOPS as error:
        print(f"\n{error}\n", file=sys.stderr, flush=True)  # the stage's own message, as `make run` ends
    except Exception:
        traceback.print_exc()
    return conclude(verdict, latest_outcome(settings, started), settings)


def _version(run: Run | None) -> str:
    if run is None or not run.model_path.exists():
        return "(unknown version)"
    return str(json.loads(run.model_path.read_text()).get("version", "(unversioned)"))
