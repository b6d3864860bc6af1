"""The hooks, rendered as cookiecutter renders them: validation messages, pruning, and nothing left behind."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from .conftest import TEMPLATE


def answers(**overrides: str) -> dict[str, str]:
    """The full rendered context cookiecutter would hand the hooks, with overrides applied."""
    context = generate_context(str(TEMPLATE / "cookiecutter.json"), extra_context=overrides)
    return dict(prompt_for_config(context, no_input=True))


def render_hook(name: str, tmp_path: Path, **overrides: str) -> ModuleType:
    context = answers(**overrides)
    environment = StrictEnvironment(context={"cookiecutter": context}, keep_trailing_newline=True)
    source = (TEMPLATE / "hooks" / f"{name}.py").read_text()
    path = tmp_path / f"{name}.py"
    path.write_text(environment.from_string(source).render(cookiecutter=context))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["pre_gen_project", "post_gen_project"])
def test_rendered_hooks_pass_ruff(tmp_path: Path, name: str) -> None:
    render_hook(name, tmp_path)
    ruff = Path(sys.executable).parent / "ruff"
    config = ["--config", str(TEMPLATE / "pyproject.toml"), "--no-cache"]

    for command in (["check", *config], ["format", "--check", *config]):
        result = subprocess.run([ruff, *command, tmp_path / f"{name}.py"], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_default_answers_pass(tmp_path: Path) -> None:
    hook = render_hook("pre_gen_project", tmp_path)
    assert hook.problems(hook.ANSWERS) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"project_slug": "Bad Slug"}, "project_slug 'Bad Slug' is not a valid folder name"),
        ({"project_slug": "../escape"}, "project_slug '../escape' is not a valid folder name"),
        ({"project_slug": "x" * 65}, "is not a valid folder name"),
        ({"module_name": "2fast"}, "module_name '2fast' is not a valid Python package name"),
        ({"module_name": "my-model"}, "is not a valid Python package name"),
        ({"module_name": "m" * 41}, "at most 40 characters"),
        ({"module_name": "class"}, "module_name 'class' is a Python keyword"),
        ({"module_name": "match"}, "module_name 'match' is a Python keyword"),
        ({"module_name": "json"}, "module_name 'json' shadows the standard library"),
        ({"module_name": "dbt"}, "module_name 'dbt' shadows a dependency"),
        ({"module_name": "metaflow"}, "module_name 'metaflow' shadows a dependency"),
        ({"module_name": "pandas"}, "module_name 'pandas' shadows a dependency"),
        ({"author_email": "not-an-email"}, "author_email 'not-an-email' is not an email address"),
        ({"author_email": "a@b"}, "is not an email address"),
        ({"project_name": "  "}, "project_name is empty"),
        ({"project_name": " Padded"}, "starts or ends with spaces"),
        ({"description": "two\nlines"}, "contains a line break or control character"),
        ({"description": "x" * 301}, "description is 301 characters long: use at most 300"),
        ({"orchestrator": "airflow"}, "orchestrator 'airflow' is not available: choose one of"),
        ({"warehouse": "oracle"}, "warehouse 'oracle' is not available"),
        ({"data_quality": "soda"}, "data_quality 'soda' is not available"),
        ({"tracking": "neptune"}, "tracking 'neptune' is not available"),
        ({"model": "xgboost"}, "model 'xgboost' is not available"),
        ({"serving": "kubernetes"}, "serving 'kubernetes' is not available"),
        ({"ci": "jenkins"}, "ci 'jenkins' is not available"),
    ],
)
def test_each_bad_answer_gets_one_line_naming_field_value_and_fix(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    # Slug and module name derive from the project name: pin them to see one problem at a time.
    pinned = {"project_slug": "purchase-intent", "module_name": "purchase_intent"}
    hook = render_hook("pre_gen_project", tmp_path, **(pinned | overrides))
    found = hook.problems(hook.ANSWERS)

    assert len(found) == 1, found
    assert message in found[0]
    assert "\n" not in found[0]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    hook = render_hook("pre_gen_project", tmp_path, module_name="dbt", author_email="nope", ci="jenkins")

    assert len(hook.problems(hook.ANSWERS)) == 3


def test_the_rendered_hook_exits_non_zero_with_error_lines(tmp_path: Path) -> None:
    render_hook("pre_gen_project", tmp_path, module_name="dbt", ci="jenkins")

    result = subprocess.run([sys.executable, tmp_path / "pre_gen_project.py"], capture_output=True, text=True)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error: ")] == lines[:2]
    assert "Nothing was generated" in lines[-1]


@pytest.mark.parametrize("text", ['O\'Brien "Bob" \\ 🚀', "東京の顧客", "tab\there"])
def test_user_text_reaches_the_hook_unchanged(tmp_path: Path, text: str) -> None:
    hook = render_hook("pre_gen_project", tmp_path, author_name=text)

    assert hook.ANSWERS["author_name"] == text


def test_post_gen_puts_the_chosen_values_files_in_place_and_drops_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = render_hook("post_gen_project", tmp_path, orchestrator="metaflow", ci="github")
    project = tmp_path / "project"
    for choice, value in hook.STACK.items():
        for option in (value, "another"):
            path = project / "_stack" / choice / option / "docs" / f"{choice}-{option}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(option)
    monkeypatch.chdir(project)

    hook.apply_stack()
    hook.apply_stack()  # cruft runs hooks more than once: the second run must change nothing

    assert {p.name for p in project.rglob("*") if p.is_file()} == {
        f"{choice}-{value}.md" for choice, value in hook.STACK.items()
    }
    assert not (project / "_stack").exists()


def test_every_file_has_one_home() -> None:
    """A file is shared by every project or belongs to values of one choice, never to two choices."""
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    homes: dict[str, set[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            parts = path.relative_to(root).parts
            home, relative = (parts[1], parts[3:]) if parts[0] == "_stack" else ("shared", parts)
            homes.setdefault("/".join(relative), set()).add(home)
    assert {name: places for name, places in homes.items() if len(places) > 1} == {}


def test_post_gen_summary_names_the_profile_the_stack_and_three_commands(tmp_path: Path) -> None:
    text = render_hook("post_gen_project", tmp_path).summary()

    assert "scale: ML value per year: under_1m" in text
    assert "orchestrator=metaflow" in text and "warehouse=duckdb" in text
    assert [line.split("#")[0].strip() for line in text.splitlines() if line.strip().startswith("make ")] == [
        "make setup",
        "make run",
        "make test",
    ]
