"""Promotion: a model is versioned from its content and carries its inputs' rules; a run is accepted whole, in
one step, even when the process is killed at any moment of packaging."""

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.contract import Inputs
from {{ cookiecutter.module_name }}.release.promotion import (
    Bundle,
    Examples,
    PackagingError,
    accepted_model,
    check_predictions,
    rebuild,
    with_metadata,
)
from {{ cookiecutter.module_name }}.runs import Run, accept, accepted, begin, clean_up
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import CONTRACT

from ..conftest import Trained

FEATURES = ["n_pageviews", "n_cart_adds"]
EXPORTED = {"format": "test/1", "features": FEATURES, "weights": [0.5, -1.0]}
PACKAGE = "{{ cookiecutter.module_name }}"


def test_versions_differ_with_the_content_and_carry_the_metrics() -> None:
    first = with_metadata(EXPORTED, {"average_precision": 0.6})
    other = with_metadata(EXPORTED | {"weights": [0.5, -1.5]}, {"average_precision": 0.6})

    assert first["version"].rsplit("-", 1)[1] != other["version"].rsplit("-", 1)[1]
    assert first["metrics"] == {"average_precision": 0.6}
    assert first["format"] == "test/1"


def test_an_exported_model_carries_the_contracts_rules_for_its_features() -> None:
    inputs = Inputs.of_export(with_metadata(EXPORTED, {}))

    assert inputs.to_json() == CONTRACT.inputs(FEATURES).to_json()
    assert [feature.name for feature in inputs.features] == FEATURES
    assert inputs.key.name == CONTRACT.key


def test_a_model_exported_before_the_contract_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"predates the data contract\): train and accept a new one"):
        Inputs.of_export(EXPORTED)


def test_predictions_must_match_one_for_one_within_float_rounding() -> None:
    check_predictions([0.1, 0.2 + 1e-12], [0.1, 0.2], "the bundle")

    with pytest.raises(PackagingError, match=r"the bundle's predictions differ .* by up to 1\.00e-03"):
        check_predictions([0.1, 0.201], [0.1, 0.2], "the bundle")
    with pytest.raises(PackagingError, match="gave 1 predictions for 2 sessions"):
        check_predictions([0.1], [0.1, 0.2], "the bundle")
    with pytest.raises(PackagingError, match="differ"):
        check_predictions([float("nan")], [0.1], "the bundle")


def test_accepting_a_run_switches_the_model_its_evidence_and_dist_together(settings: Settings) -> None:
    runs = [begin(settings) for _ in range(2)]
    for number, run in enumerate(runs):
        run.model_path.parent.mkdir(parents=True)
        run.model_path.write_text(json.dumps({"version": f"v{number}"}))
        run.bundle_dir.mkdir()
        (run.bundle_dir / "bundle.txt").write_text(f"v{number}")
        accept(run, settings)

        assert accepted(settings) == run
        assert accepted_model(settings)["version"] == f"v{number}"
        assert (settings.dist_dir / "bundle.txt").read_text() == f"v{number}"
    assert sorted(p.name for p in settings.artifacts_dir.iterdir()) == ["accepted", "runs"]


def test_without_an_accepted_model_packaging_says_to_run_the_pipeline(settings: Settings) -> None:
    with pytest.raises(SystemExit, match="run `make run` first"):
        accepted_model(settings)


# Packages the same model over and over, each time in a new run carrying the evidence a run's gate and
# evaluation would have written, saying when each is done, until it is killed. One process imports what
# packaging needs once (seconds of imports, PyTorch's above all), then forks a packager each time it reads
# `start`: every packager is a process of its own that a SIGKILL ends mid-write, and a kill costs no start-up.
# Nothing runs in the parent but imports, so no library's threads are forked half-way.
PACKAGER = f"""
import importlib, os, pickle, shutil, sys
from {PACKAGE} import pipeline
from {PACKAGE}.runs import accepted, begin
from {PACKAGE}.settings import Settings

workspace, saved, *modules = sys.argv[1:]
for module in modules:
    importlib.import_module(module)
for command in sys.stdin:
    if command.startswith("reap"):
        _, status = os.waitpid(int(command.split()[1]), 0)
        print("exit", os.waitstatus_to_exitcode(status), flush=True)
        continue
    sys.stdout.flush()
    packager = os.fork()
    if packager:
        print("packager", packager, flush=True)
        continue
    try:
        settings = Settings(workspace=workspace)
        with open(saved, "rb") as file:
            model, metrics = pickle.load(file)
        while True:
            previous, run = accepted(settings), begin(settings)
            for evidence in ("quality", "evaluation"):
                shutil.copytree(previous.dir / evidence, run.dir / evidence)
            pipeline.package_model(model, metrics, settings, run)
            print("packaged", flush=True)
    finally:
        os._exit(1)
"""
# What packaging imports, for the packagers' parent to import once.
PACKAGING_MODULES = [
    f"{PACKAGE}.{module}"
    for module in ("model.tracking", "release.package", "release.promotion", "training_set", "warehouse.read")
]


class Packagers:
    """The packagers' parent: starts a packager, waits for its output, kills it."""

    def __init__(self, workspace: Path, saved: Path, model_module: str) -> None:
        self.parent = subprocess.Popen(
            [sys.executable, "-c", PACKAGER, str(workspace), str(saved), model_module, *PACKAGING_MODULES],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def command(self, line: str) -> None:
        assert self.parent.stdin is not None
        self.parent.stdin.write(f"{line}\n")
        self.parent.stdin.flush()

    def read_until(self, word: str) -> str:
        """The next line starting with ``word``; the packagers' own lines (the stage's story) are skipped."""
        assert self.parent.stdout is not None
        while line := self.parent.stdout.readline():
            if line.startswith(word):
                return line.split(maxsplit=1)[-1].strip()
        raise AssertionError(f"the packagers' parent ended (exit {self.parent.wait()}) before saying {word}")

    def start(self) -> int:
        self.command("start")
        return int(self.read_until("packager "))

    def kill(self, packager: int) -> int:
        """SIGKILL ``packager``; returns its exit code as its parent saw it."""
        os.kill(packager, signal.SIGKILL)
        self.command(f"reap {packager}")
        return int(self.read_until("exit "))

    def close(self) -> None:
        self.parent.kill()
        self.parent.wait(timeout=60)


MIN_KILLS, MAX_KILLS = 10, 25


def enough(kills: int, mid_package: int, versions: set[str]) -> bool:
    """Whether the kills so far prove the point: at least MIN_KILLS, a third of them landing mid-package, and
    a packaging that finished between two of them. Up to MAX_KILLS are tried to get there."""
    return kills >= MIN_KILLS and mid_package >= kills // 3 and len(versions) > 1


def bundled_versions(bundle: Path) -> set[str]:
    """The model version every file of a bundle carries: the exported model in folders, zips and archives,
    and the predictions' model_version (serving=none)."""
    versions = set()
    for path in bundle.rglob("*"):
        if path.name == "model.json":
            versions.add(json.loads(path.read_text())["version"])
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zipped:
                models = [name for name in zipped.namelist() if name.endswith("model.json")]
                versions |= {json.loads(zipped.read(name))["version"] for name in models}
        elif path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                member = archive.extractfile("model.json")
                assert member is not None
                versions.add(json.load(io.TextIOWrapper(member))["version"])
        elif path.suffix == ".parquet":
            versions |= set(pd.read_parquet(path, columns=["model_version"])["model_version"])
    return versions


def assert_one_accepted_version(settings: Settings) -> str:
    """The accepted run is whole: its model, its bundle and what dist/ shows carry one version."""
    run = accepted(settings)
    assert run is not None
    version = str(json.loads(run.model_path.read_text())["version"])
    assert bundled_versions(run.bundle_dir) == {version}
    assert bundled_versions(settings.dist_dir) == {version}
    assert (run.evaluation_dir / "metrics.json").exists() and (run.quality_dir / "report.json").exists()
    return version


@pytest.mark.slow
def test_packaging_killed_at_any_moment_leaves_one_whole_accepted_run(
    accepted_run: Settings, trained: Trained, tmp_path: Path
) -> None:
    """Real SIGKILLs of a packaging process at random moments: whatever the moment, the accepted model, its
    evidence and the bundle dist/ shows belong to one run, and the next run removes what a killed one left."""
    saved = tmp_path / "model.pickle"
    saved.write_bytes(pickle.dumps((trained.model, {"average_precision": 0.5})))
    rng = np.random.default_rng(2025)
    packagers = Packagers(accepted_run.workspace, saved, type(trained.model).__module__)
    try:
        # How long one packaging takes on this machine, as loaded as it is now: the kills below land anywhere
        # in one and a half of it, so that some land mid-package and some after a packaging finished, on a
        # fast laptop as on a busy CI runner.
        started, packager = time.monotonic(), packagers.start()
        packagers.read_until("packaged")
        one_packaging = time.monotonic() - started
        assert packagers.kill(packager) == -signal.SIGKILL

        versions, mid_package, kills = {assert_one_accepted_version(accepted_run)}, 0, 0
        while kills < MAX_KILLS and not enough(kills, mid_package, versions):
            packager = packagers.start()
            time.sleep(rng.uniform(0.0, 1.5 * one_packaging))
            assert packagers.kill(packager) == -signal.SIGKILL
            kills += 1

            versions.add(assert_one_accepted_version(accepted_run))
            mid_package += any(Run(folder).outcome() is None for folder in accepted_run.runs_dir.iterdir())
    finally:
        packagers.close()

    assert mid_package >= kills // 3, "too few kills landed while a run was being packaged"
    assert len(versions) > 1, "no packaging finished between kills: the kills proved nothing"
    clean_up(accepted_run)
    kept = accepted(accepted_run)
    assert all(
        Run(folder).outcome() is not None or Run(folder) == kept for folder in accepted_run.runs_dir.iterdir()
    )
    assert not list(accepted_run.artifacts_dir.glob(".accepted-*"))
    print(f"{kills} kills, {mid_package} mid-package, {len(versions)} versions accepted in turn")


def test_make_package_accepts_only_a_bundle_that_passes_the_accepted_runs_check(
    accepted_run: Settings,
) -> None:
    """`make package` rebuilds from the accepted model, and checks the bundle on the sessions the accepted
    bundle was checked on: one that answers otherwise replaces nothing."""
    before = accepted(accepted_run)

    def build(exported: dict[str, object], out_dir: Path) -> Bundle:
        out_dir.mkdir(parents=True)
        (out_dir / "bundle.txt").write_text("a bundle that answers otherwise")
        return Bundle(out_dir / "bundle.txt", str(exported["version"]))

    def check(bundle: Bundle, examples: Examples, expected: list[float]) -> None:
        check_predictions([0.5] * len(examples), expected, "the rebuilt bundle")

    with pytest.raises(PackagingError, match="the rebuilt bundle's predictions differ"):
        rebuild(accepted_run, build, check)

    assert accepted(accepted_run) == before
