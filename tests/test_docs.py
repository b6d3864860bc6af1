"""A baked project's docs are true: every task they name exists, every path they name is there, and what they
say a command prints, it prints.

The docs are the generated README.md and the decision records under docs/decisions/; a stack value adds its
own sentences to them (the `_places/` files of its folder), so they are read from a bake of each value. The
fast tests check what needs no environment: the Makefile's tasks, the paths a fresh bake holds, and that every
other path is one a command makes, or one only a failure makes, which a test of the project then provokes
and finds where the doc says. ``assert_docs_hold_after_run`` checks the rest where a test of the slow
tier has set a project up and run it (test_generated_project.py, and each combination of test_runtime.py):
the paths `make setup` and `make run` make are there, and what the docs say `make run` prints, it printed.
"""

import os
import re
import subprocess
from collections.abc import Collection
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import pytest

from .combinations import STACK, Combination, covering, label
from .conftest import bake, run

# Paths the docs name that a bake does not hold, by what makes them: each pattern (fnmatch, on the path as
# the docs write it, placeholders such as <run id> read as *) with the command that makes it. The first
# matching pattern wins. A path none matches must be in the fresh bake.
MADE_ELSEWHERE = {
    ".env": "the user, from .env.example",
    "benchmarks/workspace*": "make bench",
    "benchmarks/results*": "make bench",
    "results.*": "make bench",
    "artifacts/monitoring*": "make monitor",
    "artifacts/retrain.log": "cron's `make retrain` (deploy/retrain.crontab, orchestrator=none)",
}
# Paths only a failure makes, so no run of the slow tier shows them: each pattern with what makes it and the
# generated project's test that provokes that failure and finds the path where the doc says, reading the
# path from the doc itself (tests/documented.py's documented_path, by the path's last part).
MADE_ON_FAILURE = {
    "data/failed_build*": ("a dbt build whose tests failed", "tests/warehouse/test_transform.py"),
    "data/log/quarantine*": ("a batch with events that break contract.toml", "tests/log/test_events.py"),
    "failure_cases.csv": ("a quality gate whose pandera checks failed", "tests/quality/test_checks.py"),
}
# What the docs write like a path in the project and is not one.
NOT_PATHS = {
    "application/json": "a media type",
    "roles/run.invoker": "a Google Cloud role",
    "training/training": "a Prefect deployment, <flow>/<deployment>",
    "gx/": "the folder Great Expectations would need, which the docs say there is none of",
    "code/": "a folder inside dist/model.tar.gz",
    "/predictions": "where Cloud Run mounts the predictions bucket, in the container",
}
MADE_BY_SETUP = (".venv*", "uv.lock")
MADE_BY_RUN = (
    "data",
    "data/*",
    "artifacts",
    "artifacts/*",
    "dist",
    "dist/*",
    "outcome.json",
    "model.json",
    "quality/report.json",
    "great_expectations.json",
    "mlruns.db",
    "mlartifacts*",
    "wandb*",
    ".prefect*",
)
# The commands whose printed lines the slow tier reads: a sentence saying another command prints something
# needs a test that runs it.
PRINTS_CHECKED = {"make run"}
DOCS = ("README.md", "docs/decisions/*.md")
# Folders no doc path points into: a path matched anywhere else in the project.
NOT_SEARCHED = {".git", ".venv", ".tools", "node_modules", "__pycache__"}
EXTENSIONS = r"\.(py|md|toml|ya?ml|json|jsonl|lock|sql|csv|parquet|zip|gz|duckdb|db|png|txt|example|cfg|ini)"
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```[ \t]*\n?", re.S | re.M)
MAKE = re.compile(r"(?:^|[\s;&|(`])make\s+((?:[A-Z_]+=\S+\s+)*)([a-z][a-z0-9-]*)")


def docs_of(project: Path) -> dict[str, str]:
    """Each doc of a baked project, by its path in the project, with its text."""
    paths = sorted(path for pattern in DOCS for path in project.glob(pattern))
    assert paths, f"no docs in {project}"
    return {str(path.relative_to(project)): path.read_text(encoding="utf-8") for path in paths}


def command_blocks(text: str) -> list[str]:
    """The shell blocks of a Markdown text (fenced as bash, sh or nothing), not its diagrams or Python."""
    return [body for language, body in FENCE.findall(text) if language in ("", "bash", "sh", "shell")]


def prose(text: str) -> str:
    return FENCE.sub("", text)


def spans(text: str) -> list[str]:
    """The inline code of a text (Markdown's `...`), on one line or across two."""
    return [span.replace("\n", " ") for span in re.findall(r"`((?:[^`\n]|\n(?!\s*\n))+)`", text)]


def make_targets(text: str) -> set[str]:
    """Every task named as `make <task>`, in the commands and the sentences, their comments included."""
    pieces = [*spans(text), *(line for block in command_blocks(text) for line in block.splitlines())]
    return {match[1] for piece in pieces for match in MAKE.findall(piece)}


def as_pattern(token: str) -> str:
    """A path as written in the docs, its placeholders (<run id>, <size>) read as any name."""
    return re.sub(r"<[^>]*>", "*", token).rstrip("/")


def is_path(token: str) -> bool:
    """Whether inline code or a command's argument is a path: a folder, or a name with a file's extension."""
    token = re.sub(r"<[^>]*>", "*", token)
    return (
        re.fullmatch(r"[\w.*/-]+", token) is not None
        and not token.startswith(("-", "/", "*"))
        and ("/" in token or token.startswith(".") or re.search(EXTENSIONS + "$", token) is not None)
    )


def paths(text: str) -> set[str]:
    """Every path the docs name: in their inline code, and the arguments of their commands that have a folder
    (`events.jsonl` in a command is the user's file, not one the project promises)."""
    named = spans(prose(text))
    arguments = [
        word
        for block in command_blocks(text)
        for line in block.splitlines()
        for word in line.split("#", 1)[0].split()
        if "/" in word and ":" not in word
    ]
    return {as_pattern(token) for token in [*named, *arguments] if is_path(token) and token not in NOT_PATHS}


def made_by(path: str) -> str | None:
    """What makes ``path`` when a fresh bake lacks it: a command, or None for a path the bake must hold."""
    for pattern, maker in MADE_ELSEWHERE.items():
        if fnmatch(path, pattern):
            return maker
    for pattern, (maker, _) in MADE_ON_FAILURE.items():
        if fnmatch(path, pattern):
            return maker
    if any(fnmatch(path, pattern) for pattern in MADE_BY_SETUP):
        return "make setup"
    if any(fnmatch(path, pattern) for pattern in MADE_BY_RUN):
        return "make run"
    return None


def absent(project: Path, paths: list[str]) -> list[str]:
    """Those of ``paths`` not in the project, from its root or as the end of a path in it: the docs name a
    module by its path in the package, `quality/checks.py`, and a run's file by its name in the run."""
    found = contents(project)
    return sorted(
        path for path in paths if not any(project.glob(path)) and not any(each.match(path) for each in found)
    )


def contents(project: Path) -> list[PurePosixPath]:
    """Every file and folder of the project, relative to it, but those of NOT_SEARCHED."""
    found = []
    for folder, folders, files in os.walk(project):
        folders[:] = [name for name in folders if name not in NOT_SEARCHED]
        relative = PurePosixPath(Path(folder).relative_to(project))
        found.extend(relative / name for name in [*folders, *files])
    return found


def printing_claims(text: str) -> list[tuple[str, str, list[str]]]:
    """Each sentence saying a command prints something: (sentence, command, the paths it says are printed)."""
    claims = []
    for paragraph in prose(text).split("\n\n"):
        for sentence in re.split(r"(?<=\.)\s+(?=[A-Z`])", " ".join(paragraph.split())):
            if re.search(r"\bprint", sentence):
                commands = [span for span in spans(sentence) if MAKE.search(span)]
                said = [
                    as_pattern(span) for span in spans(sentence) if is_path(span) and span not in NOT_PATHS
                ]
                claims.append((sentence, commands[0] if commands else "", said))
    return claims


def assert_docs_hold_after_run(project: Path, run_output: str, not_made: Collection[str] = ()) -> None:
    """Fail unless every path the docs say `make setup` or `make run` makes is in the project, and every path
    they say `make run` prints is in ``run_output`` (as written, or inside the absolute path printed).

    ``not_made``: paths this run does not make by design (a run on the prod target builds no local
    warehouse file)."""
    for doc, text in docs_of(project).items():
        made = [path for path in paths(text) if made_by(path) in ("make setup", "make run")]
        missing = absent(project, [path for path in made if path not in not_made])
        assert not missing, f"{doc} names paths that `make setup` and `make run` did not make: {missing}"
        for sentence, command, said in printing_claims(text):
            if command == "make run":
                unprinted = [path for path in said if path.replace("*", "") not in run_output]
                assert not unprinted, (
                    f"{doc} says: {sentence!r}\nbut `make run` printed no {unprinted}:\n{run_output[-3000:]}"
                )


# Each value of every stack choice, in as few bakes as that takes.
BAKES = covering(STACK, strength=1)


@pytest.fixture(scope="module", params=BAKES, ids=label)
def baked(request: pytest.FixtureRequest, cookies_session) -> Path:
    combination: Combination = request.param
    return bake(cookies_session, **combination)


def test_every_task_the_docs_name_is_in_the_makefile(baked: Path) -> None:
    listed = subprocess.run(["make", "help"], cwd=baked, capture_output=True, text=True, check=True).stdout
    tasks = set(re.findall(r"^\s*make (\S+)", listed, re.M))
    assert {"setup", "run", "test"} <= tasks, listed
    for doc, text in docs_of(baked).items():
        unknown = sorted(make_targets(text) - tasks)
        assert not unknown, f"{doc} names tasks `make help` does not list: {unknown}"


def test_every_path_the_docs_name_is_in_the_bake_or_made_by_a_command(baked: Path) -> None:
    for doc, text in docs_of(baked).items():
        named = paths(text)
        assert "contract.toml" in named, f"the path parser found nothing in {doc}: {sorted(named)}"
        unmade = absent(baked, [path for path in named if made_by(path) is None])
        assert not unmade, (
            f"{doc} names paths a fresh bake lacks: {unmade}. If a command makes one, say which in "
            "MADE_ELSEWHERE, MADE_BY_SETUP or MADE_BY_RUN of tests/test_docs.py"
        )


def test_every_path_only_a_failure_makes_is_found_where_the_docs_say_by_a_test_of_the_project(
    baked: Path,
) -> None:
    for doc, text in docs_of(baked).items():
        for path in sorted(paths(text)):
            for pattern, (maker, test) in MADE_ON_FAILURE.items():
                if not fnmatch(path, pattern):
                    continue
                asks = f'documented_path("{PurePosixPath(path).name}")'
                checked = (baked / test).read_text() if (baked / test).exists() else ""
                assert asks in checked, (
                    f"{doc} names {path}, made only by {maker}; {test} must provoke it and check the path "
                    f"with {asks}, so the doc cannot drift from the code"
                )
                assert doc == "README.md", f"documented_path reads README.md, but {path} is named in {doc}"


def test_what_the_docs_say_is_printed_is_checked_by_a_run(baked: Path) -> None:
    claims = [claim for text in docs_of(baked).values() for claim in printing_claims(text)]
    assert claims, "the README no longer says what `make run` prints: say where to look, and check it here"
    for sentence, command, said in claims:
        assert command in PRINTS_CHECKED, f"no test runs {command or 'the command'} of: {sentence!r}"
        assert said, f"this sentence says something is printed, but names no path to check: {sentence!r}"


def test_the_parsers_find_tasks_paths_and_printing_claims() -> None:
    text = (
        "Run `make run` (or `DBT_TARGET=prod make run`). `make run` ends by printing where the metrics are\n"
        "(`artifacts/accepted/evaluation/`) and the model, in the run's `model.json`. Its runs are in\n"
        "`artifacts/runs/<run id>/`.\n\n"
        "```bash\nmake setup   # then `make test-all`\n.venv/bin/python -m pkg append events.jsonl\n```\n"
        "```mermaid\nflowchart LR\n  a[make nothing] --> b[dist/x]\n```\n"
    )

    assert make_targets(text) == {"run", "setup", "test-all"}
    assert paths(text) == {
        "artifacts/accepted/evaluation",
        "model.json",
        "artifacts/runs/*",
        ".venv/bin/python",
    }
    [(sentence, command, said)] = printing_claims(text)
    assert command == "make run" and said == ["artifacts/accepted/evaluation", "model.json"], sentence


def test_setup_outside_a_git_repository_says_it_skipped_the_hooks_and_how_to_install_them(
    cookies, tmp_path: Path
) -> None:
    project = bake(cookies)
    # uv stands in for itself, saying what it was asked to do: the environment is not what is tested here.
    uv = tmp_path / "uv"
    uv.write_text('#!/bin/sh\necho "uv $*"\n')
    uv.chmod(0o755)
    # No git repository above the project counts, whatever folder the tests run in.
    env = {"GIT_CEILING_DIRECTORIES": str(project.parent)}

    outside = run(["make", "setup", f"UV={uv}"], cwd=project, env=env)
    run(["git", "init", "-q"], cwd=project)
    inside = run(["make", "setup", f"UV={uv}"], cwd=project, env=env)

    said = [line for line in outside.splitlines() if "pre-commit" in line]
    assert said == [
        "make setup: skipped the git pre-commit hooks, as this folder is not a git repository; "
        "to install them: git init && make setup"
    ], outside
    assert "uv run --locked pre-commit install" in inside and "skipped" not in inside, inside
