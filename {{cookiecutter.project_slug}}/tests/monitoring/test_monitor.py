"""`make monitor` on the accepted model: predictions recorded over two days, the second with one feature
shifted; the monitoring gate flags that feature on that day and nothing before, joins outcomes by session,
and writes a report with the verdict on top. A normal week, whose shoppers' history grows as the log ages,
is flagged on no day; the Brier check judges a day alone only with enough outcomes, and the smaller days
together, and says so."""

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.log.events import append_batch
from {{ cookiecutter.module_name }}.log.predictions import log_writer
from {{ cookiecutter.module_name }}.monitoring import gate, report
from {{ cookiecutter.module_name }}.quality.gate import Failure
from {{ cookiecutter.module_name }}.runs import Run
from {{ cookiecutter.module_name }}.serving.api import score_sessions
from {{ cookiecutter.module_name }}.serving.recording import batch_id, prediction_events
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES, KEY, LABEL, OUTPUT, SPLIT
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set

from .week import DAYS, append_week, on_days, week_after_sample

SHIFTED = FEATURES[0]
PER_DAY = 300
# The contract's features counting from the log's first event, judged against recent predictions.
GROWING = ("prior_sessions", "prior_purchases")


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


@pytest.mark.slow
def test_a_normal_week_is_flagged_on_no_day_though_the_shoppers_history_grows(accepted_run: Settings) -> None:
    settings = accepted_run
    days = week_after_sample(settings)
    week = append_week(settings, days)
    started_on = pd.to_datetime(week["session_start"]).dt.date
    for day in days:
        record(settings, week[started_on == day], datetime.combine(day, time(), tzinfo=UTC))

    found = gate.check(settings)

    assert found.failures == []
    # The shoppers keep coming back: against the training split their history would read as drifted.
    train = load_training_set(settings)
    train = train[train[SPLIT] == "train"]
    assert week["prior_sessions"].mean() > 2 * train["prior_sessions"].mean()
    drift = on_days(found.tables["feature_drift"], days)
    growing = drift[drift["feature"].isin(GROWING)]
    # Each judged against the days before it: from the second day, once there are some.
    assert sorted(growing["predicted_on"].astype(str).str[:10].unique()) == [str(day) for day in days[1:]]
    assert growing["against_recent"].all()
    assert not drift[~drift["feature"].isin(GROWING)]["against_recent"].any()
    assert len(on_days(found.tables["daily_predictions"], days)) == DAYS


def realised_day(outcomes: int, brier: float) -> pd.DataFrame:
    """realised_performance's row for one day."""
    return realised_days([outcomes], [brier])


def realised_days(outcomes: list[int], brier: list[float]) -> pd.DataFrame:
    """realised_performance's rows for days in a row from 2026-01-02."""
    return pd.DataFrame(
        {
            "predicted_on": [
                pd.Timestamp(date(2026, 1, 2) + timedelta(days=n)) for n in range(len(outcomes))
            ],
            "predictions_with_outcome": outcomes,
            "expected_rate": [0.1] * len(outcomes),
            "observed_rate": [0.3] * len(outcomes),
            "brier": brier,
        }
    )


def brier_section(settings: Settings, realised: pd.DataFrame, expected_brier: float) -> str:
    """The report's realised-performance table for ``realised``."""
    days = len(realised)
    daily = pd.DataFrame(
        {"predicted_on": realised["predicted_on"], "predictions": [1] * days, "mean_score": [0.1] * days}
    )
    drift = pd.DataFrame(
        {
            "predicted_on": realised["predicted_on"],
            "feature": [SHIFTED] * days,
            "psi": [0.01] * days,
            "same_all_day": [False] * days,
            "against_recent": [False] * days,
        }
    )
    tables = {"feature_drift": drift, "daily_predictions": daily, "realised_performance": realised}
    text = report.markdown(tables, [], expected_brier, settings, "v1", [])
    return text.split("## Realised performance")[1]


def test_a_day_with_too_few_outcomes_is_not_judged_by_the_brier_check_and_the_report_says_so(
    settings: Settings,
) -> None:
    expected = 0.07
    realised = realised_day(settings.min_outcomes_per_day - 1, brier=expected * 3)

    assert gate.performance_failures(realised, expected, settings) == []
    section = brier_section(settings, realised, expected)
    assert "| too few to judge alone (under 1,000 outcomes: min_outcomes_per_day) |" in section
    assert "The 1 recent day(s) too small to judge alone hold 999 outcomes together, under 1,000" in section


def test_days_too_small_alone_are_judged_together_once_they_add_up(settings: Settings) -> None:
    expected = 0.07
    per_day = settings.min_outcomes_per_day // 4
    # Five small days: four at the holdout's Brier, then one far worse; together they have risen.
    worse = realised_days([per_day] * 5, [expected] * 4 + [expected * 3])
    normal = realised_days([per_day] * 5, [expected] * 5)

    [failure] = gate.performance_failures(worse, expected, settings)

    pooled, outcomes = (4 * expected + 3 * expected) / 5, f"{5 * per_day:,}"
    assert pooled > expected * (1 + settings.max_brier_rise)
    assert (
        f"Brier {pooled:.4f} on 2026-01-02 to 2026-01-06 together (each too few alone), "
        f"over {outcomes} predictions with outcomes" in failure.detail
    )
    together = f"together (2026-01-02 to 2026-01-06): Brier {pooled:.4f} over {outcomes} outcomes"
    assert f"{together}, over the threshold." in brier_section(settings, worse, expected)
    assert gate.performance_failures(normal, expected, settings) == []
    assert f"{outcomes} outcomes, within the threshold." in brier_section(settings, normal, expected)
    # Too few even together (three days): not judged, however bad.
    assert (
        gate.performance_failures(realised_days([per_day] * 3, [expected * 3] * 3), expected, settings) == []
    )


def test_a_day_with_enough_outcomes_and_a_real_rise_in_brier_is_flagged(settings: Settings) -> None:
    expected = 0.07
    risen = realised_day(settings.min_outcomes_per_day, brier=expected * (1 + settings.max_brier_rise) + 0.01)
    held = realised_day(settings.min_outcomes_per_day, brier=expected * (1 + settings.max_brier_rise) - 0.01)

    [failure] = gate.performance_failures(risen, expected, settings)

    assert failure.column == "score"
    assert "Brier 0.0975 on 2026-01-02, over 1,000 predictions with outcomes" in failure.detail
    assert "| over the threshold |" in brier_section(settings, risen, expected)
    assert gate.performance_failures(held, expected, settings) == []
    assert "| within the threshold |" in brier_section(settings, held, expected)


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
