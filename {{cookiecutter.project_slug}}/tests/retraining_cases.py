"""The scheduled retraining's end-to-end case, for each orchestrator's tests of the real entry point (what
`make retrain` runs): the accepted model's predictions of the last days drifted on one feature, so monitoring
flags it, the pipeline retrains through its gates, and the alert reaches a local webhook receiver."""

import subprocess
from datetime import UTC, datetime, timedelta

from {{ cookiecutter.module_name }}.runs import accepted
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import SPLIT
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set

from .monitoring.test_monitor import PER_DAY, SHIFTED, record
from .webhook import HIDDEN, Receiver

ALERT_WEBHOOK = "{{ cookiecutter.module_name | upper }}_ALERT_WEBHOOK_URL"


def record_a_drifted_day(settings: Settings) -> None:
    """Predictions of the accepted model, made two days ago on sessions whose ``SHIFTED`` feature moved."""
    train = load_training_set(settings)
    sessions = train[train[SPLIT] == "train"].sample(PER_DAY, random_state=1)
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    record(settings, sessions.assign(**{SHIFTED: sessions[SHIFTED] * 3 + 5}), day)


def assert_alerted_on_the_drift(
    result: "subprocess.CompletedProcess[str]", webhook: Receiver, settings: Settings, champion: str
) -> None:
    """The run exits 1 (so the scheduler shows it red), after one alert naming the feature, and the retrained
    model, as good as the champion on the same log, replaced it; the webhook's secret is never shown."""
    everything = result.stdout + result.stderr
    assert result.returncode == 1, everything[-3000:]
    assert [received["body"]["failed"] for received in webhook.received] == ["monitoring"], everything[-3000:]
    alert = webhook.received[0]["body"]
    new = accepted(settings)
    assert new is not None and new.id != champion and alert["run_id"] == new.id
    assert f"{SHIFTED}: PSI at most 0.2 (max_feature_psi) failed" in alert["text"]
    assert "passed the gates and replaced the champion" in alert["text"]
    assert "alert sent to 127.0.0.1" in result.stdout
    assert HIDDEN not in everything
