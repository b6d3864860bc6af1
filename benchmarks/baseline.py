"""The pandas baseline: the training set of ``dbt/models`` (staging, sessions, session features, training
set) computed in pandas after loading the whole log into memory, as one writes it without an embedded engine.

``run.py`` runs this file with a baked project's Python, in a fresh process per log that the project's
``make bench`` measured, and times the baseline with that benchmark's own ``measured`` (wall and CPU seconds,
peak memory), so that its figures compare with the stages'. Then, untimed, it fingerprints its training set
and the one dbt built from the same log (``run.py`` compares them), and reads where dbt's time went.

The baseline computes only the columns the training set needs, while dbt also builds the whole sessions mart
and runs every dbt test: the comparison favours pandas.

    cd <project> && .venv/bin/python <template>/benchmarks/baseline.py --project . \
        --workspace benchmarks/workspace/n100000
"""

import argparse
import hashlib
import importlib
import importlib.util
import json
import resource
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any


def pandas_training_set(settings: Any, package: str) -> Any:
    """The training set, one row per session: what ``dbt/models`` computes, in pandas."""
    import pandas as pd

    log_schema = importlib.import_module(f"{package}.log.events").LOG_SCHEMA
    events = pd.read_parquet(settings.log_dir, columns=log_schema.names)
    # stg_events: clean the codes; a producer retry can log an event twice, the copy that arrived first wins.
    for column in ("event_type", "category"):
        events[column] = events[column].str.strip().str.lower()
    events = events.sort_values(["ingest_time", "batch_id"]).drop_duplicates("event_id")
    kind = events["event_type"]

    # sessions: whose, when, and when (if ever) the first purchase happened.
    sessions = (
        events.assign(purchase_time=events["event_time"].where(kind == "purchase"))
        .groupby("session_id")
        .agg(
            user_id=("user_id", "min"),
            session_start=("event_time", "min"),
            first_purchase_at=("purchase_time", "min"),
        )
    )

    # session_features: activity before the first purchase only, so the label cannot leak into features.
    first_purchase = events["session_id"].map(sessions["first_purchase_at"])
    before = events[first_purchase.isna() | (events["event_time"] < first_purchase)]
    before_kind = before["event_type"]
    activity = (
        before.assign(
            pageview=before_kind == "pageview",
            detail=before_kind == "detail",
            cart_add=before_kind == "add_to_cart",
            cart_remove=before_kind == "remove_from_cart",
            detail_price=before["price"].where(before_kind == "detail"),
            second=before["event_time"].dt.floor("s"),
        )
        .groupby("session_id")
        .agg(
            n_pageviews=("pageview", "sum"),
            n_detail_views=("detail", "sum"),
            n_cart_adds=("cart_add", "sum"),
            n_cart_removes=("cart_remove", "sum"),
            n_distinct_products=("product_id", "nunique"),
            n_distinct_categories=("category", "nunique"),
            first_second=("second", "min"),
            last_second=("second", "max"),
            mean_price_viewed=("detail_price", "mean"),
            max_price_viewed=("detail_price", "max"),
        )
    )
    elapsed = activity["last_second"] - activity["first_second"]
    activity["session_seconds"] = elapsed.dt.total_seconds().astype(int)
    activity = activity.drop(columns=["first_second", "last_second"])
    frame = sessions.join(activity).fillna(dict.fromkeys(activity.columns, 0))
    frame["net_cart_items"] = frame["n_cart_adds"] - frame["n_cart_removes"]

    # History: the user's earlier sessions, and the purchases they made before this session started.
    frame["prior_sessions"] = frame.groupby("user_id")["session_start"].rank(method="min").astype(int) - 1
    purchases = events.loc[kind == "purchase", ["user_id", "event_time"]].sort_values("event_time")
    purchases["purchases_so_far"] = purchases.groupby("user_id").cumcount() + 1
    prior = pd.merge_asof(
        frame[["user_id", "session_start"]].reset_index().sort_values("session_start"),
        purchases,
        left_on="session_start",
        right_on="event_time",
        by="user_id",
        allow_exact_matches=False,
    ).set_index("session_id")
    frame["prior_purchases"] = prior["purchases_so_far"].fillna(0).astype(int)
    frame["is_evening"] = frame["session_start"].dt.hour.between(18, 22).astype(int)
    frame["is_weekend"] = frame["session_start"].dt.day_of_week.isin([5, 6]).astype(int)

    # training_set: the label, and the split by session start with the cutoffs from Settings.
    frame["label"] = frame["first_purchase_at"].notna().astype(int)
    start = frame["session_start"]
    frame["split"] = "test"
    frame.loc[start < pd.Timestamp(settings.validation_cutoff), "split"] = "validation"
    frame.loc[start < pd.Timestamp(settings.train_cutoff), "split"] = "train"
    return frame.drop(columns="first_purchase_at").reset_index()


def fingerprint(frame: Any, contract: Any) -> dict[str, Any]:
    """The rows, and per column of the contract's training set: its missing values and, in key order, a digest
    of its values; for decimal numbers their sum, least and greatest instead, which ``run.py`` compares with a
    tolerance (engines add in different orders). The same in whatever dtype a column arrives."""
    import pandas as pd

    frame = frame.sort_values(contract.key).reset_index(drop=True)
    columns: dict[str, Any] = {}
    for field in contract.all_columns:
        values = frame[field.name]
        entry: dict[str, Any] = {"missing": int(values.isna().sum())}
        if field.type == "number":
            numbers = values.astype("float64")
            entry |= {"sum": float(numbers.sum()), "min": float(numbers.min()), "max": float(numbers.max())}
        else:
            if field.type == "timestamp":
                values = pd.to_datetime(values, utc=True).dt.as_unit("us").astype("int64")
            elif field.type == "integer":
                values = values.astype("float64")
            else:
                values = values.astype(object).where(values.notna(), None)
            hashes = pd.util.hash_pandas_object(values, index=False).to_numpy()
            entry["sha256"] = hashlib.sha256(hashes.tobytes()).hexdigest()
        columns[field.name] = entry
    return {"rows": len(frame), "columns": columns}


def inside_the_transform(settings: Any) -> dict[str, Any]:
    """Where the transform's time went, from the run results dbt wrote: its models, its tests (nothing when
    the transform failed)."""
    run_results = settings.dbt_target_dir / "run_results.json"
    if not run_results.exists():
        return {}
    run = json.loads(run_results.read_text())
    nodes = {node["unique_id"]: node["execution_time"] for node in run["results"]}
    models = {key.split(".")[-1]: seconds for key, seconds in nodes.items() if key.startswith("model.")}
    tests = [seconds for key, seconds in nodes.items() if key.startswith("test.")]
    return {
        "run_seconds": run["elapsed_time"],
        "model_seconds": models,
        "tests": len(tests),
        "test_seconds": sum(tests),
    }


def project_bench(project: Path) -> ModuleType:
    """The project's own ``benchmarks/pipeline.py``, as a module."""
    spec = importlib.util.spec_from_file_location("project_bench", project / "benchmarks" / "pipeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_name(project: Path) -> str:
    """The baked project's package (``module_name``)."""
    answers: dict[str, Any] = json.loads((project / ".template-answers.json").read_text())["answers"]
    return str(answers["module_name"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="the baked, set-up project")
    parser.add_argument("--workspace", type=Path, required=True, help="the log's bench workspace")
    parser.add_argument("--memory-cap", type=int, help="the baseline's address-space cap in bytes")
    args = parser.parse_args(argv)
    bench, name = project_bench(args.project), package_name(args.project)
    settings = bench.Settings(workspace=args.workspace)
    contract = importlib.import_module(f"{name}.training_set").CONTRACT
    frames: list[Any] = []

    def baseline() -> int:
        frames.append(pandas_training_set(settings, name))
        return len(frames[0])

    # A cap on the address space turns running out of memory into a MemoryError this process can report,
    # instead of swapping or the kernel killing processes that are not ours. Lifted once the baseline is done.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if args.memory_cap:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory_cap, hard))
    try:
        figures = bench.measured(baseline)
    except MemoryError:
        figures = {"failed": "out of memory"}
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    result = {"baseline": figures, "pandas": version("pandas"), "dbt": inside_the_transform(settings)}
    if frames:
        dbt_training_set = importlib.import_module(f"{name}.warehouse.read").load_training_set(settings)
        result["training_sets"] = {
            "pandas": fingerprint(frames[0], contract),
            "dbt": fingerprint(dbt_training_set, contract),
        }
    print(json.dumps(result))  # the last line, which run.py reads


if __name__ == "__main__":
    main()
