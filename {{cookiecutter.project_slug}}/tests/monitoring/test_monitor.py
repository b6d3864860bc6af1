"""`make monitor` on the accepted model: predictions recorded over two days, the second with one feature
shifted; the monitoring gate flags that feature on that day and nothing before, joins outcomes by session,
and writes a report with the verdict on top."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.log.events import append_batch
from {{ cookiecutter.module_name }}.log.predictions import log_writer
from {{ cookiecutter.module_name }}.monitoring import gate
from {{ cookiecutter.module_name }}.quality.gate import Failure
from {{ cookiecutter.module_name }}.runs import Run
from {{ cookiecutter.module_name }}.serving.api import score_sessions
from {{ cookiecutter.module_name }}.serving.recording import batch_id, prediction_events
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES, KEY, LABEL, OUTPUT, SPLIT
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set

SHIFTED = FEATURES[0]
PER_DAY = 300


def record(settings: Settings, sessions: pd.DataFrame, day: datetime) -> None:
    """Score ``sessions`` with the accepted model and record the predictions as made on ``day``."""
    model = Scorer.load(settings.accepted_model_path)
    requests = [
        {str(name): value for name, value in row.items()}
        for row in sessions[[KEY, *FEATURES]].to_dict("records")
    ]
    predictions = score_sessions(model, requests)
    events = prediction_events("request", model.version, KEY, OUTPUT, requests, predictions, when=day)
    for event in events:
        event["event_id"] = f"{day:%Y%m%d}-{event['event_id']}-{event['session_id']}"
    log_writer(settings)(batch_id(day), events)


@pytest.mark.slow
def test_a_shifted_feature_is_flagged_on_the_day_it_shifted_and_not_before(accepted_run: Settings) -> None:
    settings = accepted_run
    train = load_training_set(settings)
    train = train[train[SPLIT] == "train"].sample(PER_DAY, random_state=1)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    before, after = today - timedelta(days=3), today - timedelta(days=2)
    record(settings, train, before)
    shifted = train.assign(**{SHIFTED: train[SHIFTED] * 3 + 5})
    record(settings, shifted, after)
    # The shoppers' events go on: once the log holds events a day past the predictions, their outcomes count.
    later = {"event_id": "later", "event_time": today.isoformat(), "session_id": "later", "user_id": "u"}
    append_batch([later | {"event_type": "pageview"}], batch_id="later", source="test", settings=settings)

    found = gate.check(settings)

    drifted = [failure for failure in found.failures if failure.check.startswith("PSI")]
    assert [failure.column for failure in drifted] == [SHIFTED]
    assert f"on {after:%Y-%m-%d}" in drifted[0].detail
    assert not [failure for failure in found.failures if f"{before:%Y-%m-%d}" in str(failure)]
    drift = found.tables["feature_drift"]
    assert (drift[pd.to_datetime(drift["predicted_on"]) == before.replace(tzinfo=None)]["psi"] <= 0.1).all()

    realised = found.tables["realised_performance"]
    first_day = realised[pd.to_datetime(realised["predicted_on"]) == before.replace(tzinfo=None)].iloc[0]
    assert first_day["predictions_with_outcome"] == PER_DAY
    assert first_day["observed_rate"] == pytest.approx(train[LABEL].mean())

    report = found.report_path.read_text().splitlines()
    assert report[0] == "# Monitoring report"
    assert report[2].startswith("**Verdict: action needed**")
    assert f"{SHIFTED}: PSI at most 0.2 (max_feature_psi) failed" in found.report_path.read_text()
    for plot in ("drift.png", "scores.png", "performance.png"):
        assert (settings.monitoring_dir / plot).stat().st_size > 0


def test_make_monitor_exits_non_zero_with_a_line_per_failure(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failure = Failure("PSI at most 0.2 (max_feature_psi)", SHIFTED, 0, "PSI 0.500 on 2026-01-02")
    report = settings.monitoring_dir / "report.md"
    found = gate.Monitoring({}, [failure], 0.1, report)
    monkeypatch.setattr(gate, "check", lambda predictions=None: found)

    with pytest.raises(SystemExit) as stopped:
        gate.main([])

    assert stopped.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "monitoring gate failed 1 check(s):",
        f"  - {SHIFTED}: PSI at most 0.2 (max_feature_psi) failed (PSI 0.500 on 2026-01-02)",
        f"report: {report}",
    ]


def test_without_an_accepted_model_make_monitor_says_to_run_first(settings: Settings) -> None:
    with pytest.raises(gate.MonitoringError, match=r"no accepted model to monitor: run `make run` first"):
        gate.check(settings)


def test_with_no_predictions_recorded_make_monitor_says_nothing_was_judged(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = settings.monitoring_dir / "report.md"
    empty = gate.Monitoring({"daily_predictions": pd.DataFrame()}, [], 0.1, report)
    monkeypatch.setattr(gate, "check", lambda predictions=None: empty)

    gate.main([])

    said = capsys.readouterr().out
    assert said == f"monitoring gate: nothing to judge yet, no predictions recorded (report: {report})\n"
    assert "passed" not in said


def test_monitoring_first_copies_what_a_log_on_object_storage_gained(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduled run on a fresh machine judges the predictions recorded since the last copy."""
    run = Run(settings.runs_dir / "champion")
    run.evaluation_dir.mkdir(parents=True)
    (run.evaluation_dir / "metrics.json").write_text("{}")
    done: list[str] = []

    def copy_to_local(_settings: Settings) -> int:
        done.append("copy")
        return 3

    def build(_settings: Settings) -> None:
        done.append("build")
        raise gate.MonitoringError("built")

    monkeypatch.setattr(gate, "accepted", lambda _settings: run)
    monkeypatch.setattr(gate, "copy_to_local", copy_to_local)
    monkeypatch.setattr(gate, "build", build)

    with pytest.raises(gate.MonitoringError, match="built"):
        gate.check(settings)

    assert done == ["copy", "build"]
