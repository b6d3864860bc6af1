"""`make retrain`'s decisions (retraining.py): which outcomes alert, what the exit status says, and that a
stage's failure, a crash or a refused challenger each reach the webhook as the module's docstring says. The
stages are faked here; each orchestrator's tests run the real entry point end to end."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import retraining
from {{ cookiecutter.module_name }}.errors import StageError
from {{ cookiecutter.module_name }}.monitoring import gate
from {{ cookiecutter.module_name }}.retraining import (
    BROKEN,
    FLAGGED,
    NO_MODEL,
    NOTHING,
    PASSED,
    Outcome,
    Verdict,
    decide,
)
from {{ cookiecutter.module_name }}.runs import begin, conclude, recording
from {{ cookiecutter.module_name }}.settings import Settings

from .webhook import HIDDEN, Receiver, receiving

DRIFT = Verdict(FLAGGED, ("bounce_rate: PSI at most 0.2 (max_feature_psi) failed (PSI 0.500 on 2026-01-02)",))


class RejectedError(StageError):
    """What the model gate raises: the run's folder records it as rejected."""

    outcome = "rejected"


@pytest.mark.parametrize(
    ("verdict", "outcome", "failed"),
    [
        (Verdict(PASSED), Outcome("accepted"), None),
        (Verdict(NOTHING), Outcome("accepted"), None),
        (Verdict(NO_MODEL), Outcome("accepted"), None),
        (Verdict(PASSED), Outcome("rejected", "evaluate", "model gate failed"), None),
        (DRIFT, Outcome("rejected", "evaluate", "model gate failed"), "model gate"),
        (DRIFT, Outcome("accepted"), "monitoring"),
        (Verdict(BROKEN, ("the monitoring models did not build",)), Outcome("accepted"), "monitoring"),
        (Verdict(PASSED), Outcome("stopped", "quality gate", "sessions per split failed"), "quality gate"),
        (Verdict(NO_MODEL), Outcome("crashed", "train", "MemoryError: "), "train"),
        (Verdict(PASSED), Outcome(retraining.UNFINISHED), "pipeline"),
    ],
    ids=[
        "accepted",
        "accepted, no predictions yet",
        "first model",
        "champion stays, nothing drifted",
        "champion stays though it drifted",
        "drifted, challenger replaced it",
        "monitoring broken",
        "quality gate stopped it",
        "crashed",
        "killed",
    ],
)
def test_what_alerts(verdict: Verdict, outcome: Outcome, failed: str | None) -> None:
    decision = decide(verdict, outcome)

    assert decision.alert == (failed is not None)
    assert decision.failed == (failed or "")


def test_a_champion_kept_while_nothing_drifted_is_said_to_be_normal() -> None:
    decision = decide(Verdict(PASSED), Outcome("rejected", "evaluate", "model gate failed: gain -0.010"))

    kept = "the model gate kept the champion (model gate failed: gain -0.010): normal when nothing drifted"
    assert kept in decision.text


def ending(settings: Settings, outcome: str, stage: str = "", message: str = "") -> Callable[[], None]:
    """A fake pipeline whose run ends as ``outcome`` at ``stage``, as the real stages record it."""

    def run_pipeline() -> None:
        run = begin(settings)
        if outcome == "accepted":
            conclude(run, "accepted", "")
            return
        with recording(run, stage):
            if outcome == "crashed":
                raise RuntimeError(message)
            raise (RejectedError if outcome == "rejected" else StageError)(message)

    return run_pipeline


def retrain(
    settings: Settings, verdict: Verdict, run_pipeline: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> int:
    monkeypatch.setattr(retraining, "judge", lambda _settings: verdict)
    return retraining.retrain(settings, run_pipeline, datetime.now(UTC))


def test_a_stopped_stage_alerts_with_its_message_and_run_and_exits_1(
    tmp_path: Path, webhook: Receiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(workspace=tmp_path, alert_webhook_url=webhook.url)

    status = retrain(
        settings,
        Verdict(PASSED),
        ending(settings, "stopped", "quality gate", "sessions per split failed"),
        monkeypatch,
    )

    [run] = settings.runs_dir.iterdir()
    [alert] = [received["body"] for received in webhook.received]
    assert status == 1
    assert alert["failed"] == "quality gate" and alert["run_id"] == run.name
    assert alert["text"].endswith(
        "retraining stopped at quality gate: sessions per split failed; the accepted model stays. monitoring "
        f"gate passed (report: {run})"
    )
    said = capsys.readouterr()
    assert "sessions per split failed" in said.err and "alert sent to 127.0.0.1" in said.out
    assert HIDDEN not in said.out + said.err


def test_a_crash_alerts_too(tmp_path: Path, webhook: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(workspace=tmp_path, alert_webhook_url=webhook.url)

    status = retrain(
        settings, Verdict(NO_MODEL), ending(settings, "crashed", "train", "out of memory"), monkeypatch
    )

    assert status == 1
    assert webhook.received[0]["body"]["failed"] == "train"
    assert "retraining crashed at train: RuntimeError: out of memory" in webhook.received[0]["body"]["text"]


def test_a_refused_challenger_alerts_only_when_monitoring_flagged_the_champion(
    tmp_path: Path, webhook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(workspace=tmp_path, alert_webhook_url=webhook.url)
    refused = ending(settings, "rejected", "evaluate", "model gate failed: no better than the champion")

    assert retrain(settings, Verdict(PASSED), refused, monkeypatch) == 0
    assert webhook.received == []
    assert retrain(settings, DRIFT, refused, monkeypatch) == 1
    [alert] = [received["body"] for received in webhook.received]
    assert alert["failed"] == "model gate"
    assert (
        "bounce_rate: PSI at most 0.2" in alert["text"]
        and "the champion stays but needs replacing" in (alert["text"])
    )


def test_an_accepted_retraining_on_a_healthy_model_sends_nothing_and_exits_0(
    tmp_path: Path, webhook: Receiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(workspace=tmp_path, alert_webhook_url=webhook.url)

    assert retrain(settings, Verdict(PASSED), ending(settings, "accepted"), monkeypatch) == 0
    assert webhook.received == []
    said = capsys.readouterr().out
    assert "monitoring gate passed; the retrained model (unknown version) was accepted" in said


def test_an_alert_that_cannot_be_delivered_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with receiving(status=500) as failing:
        settings = Settings(workspace=tmp_path, alert_webhook_url=failing.url)
        status = retrain(settings, DRIFT, ending(settings, "accepted"), monkeypatch)

    assert status == 2
    last = capsys.readouterr().err.rstrip().splitlines()[-1]
    assert last == (
        "retrain: the alert could not be delivered: 127.0.0.1 answered HTTP 500 Internal Server Error; check "
        "alert_webhook_url (the webhook may have been revoked)"
    )


def test_with_alerting_off_the_run_still_exits_1_and_says_no_alert_was_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(workspace=tmp_path)

    assert retrain(settings, DRIFT, ending(settings, "accepted"), monkeypatch) == 1
    said = capsys.readouterr().out
    assert "alerting is off (the alert_webhook_url setting is empty): no alert was sent" in said


def test_monitoring_before_the_first_model_has_nothing_to_judge(settings: Settings) -> None:
    assert retraining.monitor(settings) == Verdict(NO_MODEL)


def test_monitoring_that_cannot_build_is_a_verdict_not_a_stop(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_settings: Settings) -> gate.Monitoring:
        raise gate.MonitoringError("the monitoring models did not build:\n  error predictions: boom")

    monkeypatch.setattr(retraining, "accepted", lambda _settings: object())
    monkeypatch.setattr(gate, "check", broken)

    verdict = retraining.monitor(settings)

    assert verdict == Verdict(BROKEN, ("the monitoring models did not build: error predictions: boom",))
    assert verdict.flagged
