"""The monitoring report: a page with the verdict on top, and the plots an engineer on call looks at.

``artifacts/monitoring/`` holds, replaced by each `make monitor`:

    report.md        the verdict (passed, or each failure), then per-feature drift, volume and performance
    drift.png        each feature's PSI per day, with the threshold
    scores.png       predictions per day and how their scores spread
    performance.png  expected (mean score) against observed purchase rate per day, and the Brier score
    monitoring.json  the figures behind them
"""

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..quality.gate import Failure
from ..settings import Settings
from ..training_set import CONTRACT
from . import performance

RATE = f"{CONTRACT.prediction_words} rate"


def write(
    tables: dict[str, pd.DataFrame],
    failures: list[Failure],
    expected_brier: float,
    settings: Settings,
    *,
    model_version: str,
) -> Path:
    """Write the report and its plots into ``settings.monitoring_dir``; returns the report's path."""
    out = settings.monitoring_dir
    out.mkdir(parents=True, exist_ok=True)
    drift, daily, realised = (
        tables[name] for name in ("feature_drift", "daily_predictions", "realised_performance")
    )
    plots = [
        plot_drift(drift, settings, out / "drift.png"),
        plot_scores(daily, out / "scores.png"),
        plot_performance(realised, expected_brier, out / "performance.png"),
    ]
    figures = {
        "passed": not failures,
        "failures": [str(failure) for failure in failures],
        "model_version": model_version,
        "expected_brier": expected_brier,
        **{
            name: json.loads(table.to_json(orient="records", date_format="iso"))
            for name, table in tables.items()
        },
    }
    (out / "monitoring.json").write_text(json.dumps(figures, indent=2) + "\n")
    path = out / "report.md"
    path.write_text(markdown(tables, failures, expected_brier, settings, model_version, plots))
    return path


def markdown(
    tables: dict[str, pd.DataFrame],
    failures: list[Failure],
    expected_brier: float,
    settings: Settings,
    model_version: str,
    plots: list[Path],
) -> str:
    drift, daily, realised = (
        tables[name] for name in ("feature_drift", "daily_predictions", "realised_performance")
    )
    if failures:
        verdict = [f"**Verdict: action needed** ({len(failures)} check(s) failed)", ""]
        verdict += [f"- {failure}" for failure in failures]
    elif daily.empty:
        verdict = [
            "**Verdict: nothing to judge yet**: no predictions recorded (`make serve-local`, requests)"
        ]
    else:
        verdict = ["**Verdict: healthy**: no feature drifted past its threshold, and performance holds"]
    lines = [
        "# Monitoring report",
        "",
        *verdict,
        "",
        f"Model `{model_version}`. Thresholds (settings.py): PSI at most {settings.max_feature_psi:g} per "
        f"feature (max_feature_psi), Brier score at most the holdout's {expected_brier:.4f} "
        f"+{settings.max_brier_rise:.0%} (max_brier_rise) on a day with at least "
        f"{settings.min_outcomes_per_day:,} outcomes (min_outcomes_per_day), or on the smaller days "
        "together, judged on the newest "
        f"{settings.monitor_days} days with at least {settings.min_predictions_per_day} predictions. "
        "A feature growing with the log's age is compared with the previous "
        f"{settings.recent_reference_days} days' predictions (recent_reference_days), "
        "not the training split.",
        "",
    ]
    if not daily.empty:
        newest_day = drift["predicted_on"].max()
        newest = drift[drift["predicted_on"] == newest_day].sort_values("psi", ascending=False)
        lines += [f"## Drift on the newest day ({day(newest_day)})", ""]
        lines += ["| feature | PSI | |", "|---|---:|---|"]
        for row in newest.itertuples():
            flag = "over the threshold" if row.psi > settings.max_feature_psi else ""
            if row.same_all_day:
                flag = "not judged: every session of a day has the same value"
            elif row.against_recent:
                flag = f"{flag} (against the previous {settings.recent_reference_days} days)".strip()
            lines.append(f"| {row.feature} | {row.psi:.3f} | {flag} |")
        lines += ["", "## Predictions per day", "", "| day | predictions | mean score |", "|---|---:|---:|"]
        lines += [
            f"| {day(row.predicted_on)} | {row.predictions:,.0f} | {row.mean_score:.3f} |"
            for row in daily.itertuples()
        ]
        lines += ["", "## Realised performance", ""]
        if realised.empty:
            lines.append(
                f"No outcomes yet: a day counts once the log has events {settings.outcome_days} day(s) on."
            )
        else:
            lines += [
                f"| day | with outcome | expected {RATE} | observed {RATE} | Brier | |",
                "|---|---:|---:|---:|---:|---|",
            ]
            outcomes_and_brier = zip(realised["predictions_with_outcome"], realised["brier"], strict=True)
            verdicts = [
                performance.day_verdict(outcomes, brier, expected_brier, settings)
                for outcomes, brier in outcomes_and_brier
            ]
            lines += [
                f"| {day(row.predicted_on)} | {row.predictions_with_outcome:,.0f} | "
                f"{row.expected_rate:.3f} | {row.observed_rate:.3f} | {row.brier:.4f} | {judged} |"
                for row, judged in zip(realised.itertuples(), verdicts, strict=True)
            ]
            lines += ["", small_days(realised, expected_brier, settings)]
        lines.append("")
    lines += ["## Plots", "", *(f"![{plot.stem}]({plot.name})" for plot in plots)]
    return "\n".join(lines) + "\n"


def small_days(realised: pd.DataFrame, expected_brier: float, settings: Settings) -> str:
    """What the Brier check made of the recent days too small to judge alone, together."""
    window = performance.recent(realised, settings)
    small = window[window["predictions_with_outcome"] < settings.min_outcomes_per_day]
    if small.empty:
        return (
            f"Every recent day has {settings.min_outcomes_per_day:,} outcomes or more: each is judged alone."
        )
    judged = performance.judge(realised, expected_brier, settings)
    together = next((judgement for judgement in judged if judgement.together), None)
    if together is None:
        outcomes = small["predictions_with_outcome"].sum()
        return (
            f"The {len(small)} recent day(s) too small to judge alone hold {outcomes:,.0f} outcomes "
            f"together, under {settings.min_outcomes_per_day:,}: not judged yet."
        )
    return (
        f"The {len(small)} recent days too small to judge alone, together ({day(together.first)} to "
        f"{day(together.last)}): Brier {together.brier:.4f} over {together.outcomes:,} outcomes, "
        f"{together.verdict}."
    )


def plot_drift(drift: pd.DataFrame, settings: Settings, path: Path) -> Path:
    """A small panel per feature: its PSI per day, against the threshold; red once over it."""
    features = sorted(drift["feature"].unique()) or ["(no predictions yet)"]
    columns = min(4, len(features))
    rows = -(-len(features) // columns)
    figure, grid = plt.subplots(rows, columns, figsize=(3 * columns, 2.2 * rows), sharey=True, squeeze=False)
    for axes, feature in zip(grid.flat, features, strict=False):
        found = drift[drift["feature"] == feature]
        days = [day(value) for value in found["predicted_on"]]
        over = (found["psi"] > settings.max_feature_psi).to_list()
        axes.plot(days, found["psi"], color="tab:blue", marker="o")
        drifted = [(d, psi) for d, psi, o in zip(days, found["psi"], over, strict=True) if o]
        if drifted:
            axes.scatter(*zip(*drifted, strict=True), color="red", zorder=3)
        axes.axhline(settings.max_feature_psi, color="red", linestyle="--", linewidth=1)
        axes.set_title(feature, fontsize="small")
        axes.tick_params(axis="x", labelrotation=45, labelsize="x-small")
    for axes in list(grid.flat)[len(features) :]:
        axes.set_visible(False)
    threshold = f"dashed: max_feature_psi {settings.max_feature_psi:g}"
    figure.suptitle(f"PSI per day against the training split, or recent days for history ({threshold})")
    return _save(figure, path)


def plot_scores(daily: pd.DataFrame, path: Path) -> Path:
    figure, (volume, spread) = plt.subplots(1, 2, figsize=(10, 4))
    days = [day(value) for value in daily["predicted_on"]]
    volume.bar(days, daily["predictions"])
    volume.set(title="Predictions per day", xlabel="day", ylabel="predictions")
    bottom = pd.Series(0.0, index=daily.index)
    for tenth in range(10):
        share = daily[f"score_{tenth}"]
        spread.bar(days, share, bottom=bottom, label=f"{tenth / 10:.1f}-{(tenth + 1) / 10:.1f}")
        bottom += share
    spread.set(title="Scores per day", xlabel="day", ylabel="share of predictions")
    if not daily.empty:
        spread.legend(fontsize="xx-small", title="score", title_fontsize="x-small", loc="upper left")
    for axes in (volume, spread):
        axes.tick_params(axis="x", labelrotation=45, labelsize="x-small")
    return _save(figure, path)


def plot_performance(realised: pd.DataFrame, expected_brier: float, path: Path) -> Path:
    figure, (rates, brier) = plt.subplots(1, 2, figsize=(10, 4))
    days = [day(value) for value in realised["predicted_on"]]
    rates.plot(days, realised["expected_rate"], marker="o", label="expected (mean score)")
    rates.plot(days, realised["observed_rate"], marker="o", label=f"observed {RATE}")
    rates.set(title="Expected and observed", xlabel="day", ylabel=RATE)
    rates.legend(fontsize="x-small")
    brier.plot(days, realised["brier"], marker="o", label="realised")
    brier.axhline(expected_brier, color="grey", linestyle="--", label="accepted model on its holdout")
    brier.set(title="Brier score (lower is better)", xlabel="day")
    brier.legend(fontsize="x-small")
    for axes in (rates, brier):
        axes.tick_params(axis="x", labelrotation=45, labelsize="x-small")
    return _save(figure, path)


def day(value: Any) -> str:
    """A day from the warehouse (a date, a timestamp or its text) as YYYY-MM-DD."""
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
