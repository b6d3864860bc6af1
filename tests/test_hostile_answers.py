"""Hostile answers to the free-text prompts: each is refused with one clear line, or kept exactly as typed.

Free text (project name, description, author name and email) lands in TOML, YAML, JSON, Python, Markdown and
the LICENSE. An answer either gets one ``error:`` line from the pre-generation hook naming the field, and
nothing is left on disk, or it bakes a project in which every config and Python file parses and the text reads
back exactly as typed: no quoting accident, no second rendering by Jinja, no code run.

Answers go in on the command line, as ``--no-input``, config files and ``cruft update`` pass them: that is
where cookiecutter renders them as templates, unless the extension in rs_template_filters.py stops it.
"""

import ast
import json
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
import unicodedata
from email.headerregistry import Address
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .conftest import DEFAULTS, QUICK_TESTS, TEMPLATE, run
from .test_bake import cloudformation_loader, files_of
from .test_hooks import render_hook

COOKIECUTTER = Path(sys.executable).parent / "cookiecutter"
FREE_TEXT = ("project_name", "description", "author_name", "author_email")
LIMITS = {"project_name": 80, "description": 300, "author_name": 100, "author_email": 254}
# What the hook refuses (hooks/pre_gen_project.py): control, format and separator characters but the joiners.
INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
ANSWER_REFERENCE = re.compile(r"\{[{%](?:(?![}%]\}).)*\bcookiecutter\b", re.DOTALL)
# Pinned so that a project name that slugifies badly is not what decides a text answer's fate.
PINNED = {"project_slug": "hostile-answers", "module_name": "hostile_answers"}

# Fragments that break naive quoting in one format or another, or that a template engine would evaluate.
NASTY = [
    "'", '"', "\\", "\\n", "\\u0041", "{{ 7*7 }}", "{% raw %}", "{% endraw %}", "{#", "#}", "}}", "{%",
    "{{ cycler.__init__.__globals__.os.getcwd() }}", "${{ github.token }}", "$(id)", "`id`", "$HOME", "%s",
    ": ", "- ", " #", "[x]", "= ", "&a", "*a", "!!python/object", "---", "|", ">", "@", "[[", "]]", ",", "{}",
    "<script>", "\t", "\n", "\r\n", " ", "\u00a0", "\u200b", "\u2028", "\x7f", "東京の顧客", "Zoë O'Brien",
    "مرحبا", "Ελληνικά", "🚀", "👩\u200d👩\u200d👧", "\U0001d54f", "ﬁ", "İ",
]  # fmt: skip
# Command-line arguments cannot carry NUL or lone surrogates; the hook-level test below covers those.
ARGUMENT_TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12)
FRAGMENTS = st.one_of(st.sampled_from(NASTY), ARGUMENT_TEXT)
TEXT = st.one_of(
    st.lists(FRAGMENTS, min_size=1, max_size=10).map("".join),
    st.lists(FRAGMENTS, min_size=40, max_size=80).map("".join),  # over every limit, often
)
EMAILS = st.one_of(
    st.builds("{}@{}.{}".format, TEXT, TEXT, st.sampled_from(["org", "中国", "io"])),
    st.sampled_from(["o'brien+ml@example.org", "ml@例え.jp", "zoë@example.org", '"quoted"@example.com']),
    TEXT,
)


def acceptable(field: str, text: str) -> bool:
    """The rules the hook enforces on free text, restated: what must bake, and what must be refused."""
    plain = (
        text.strip() == text != ""
        and not any(unicodedata.category(c) in INVISIBLE for c in text if c not in "\u200c\u200d")
        and len(text) <= LIMITS[field]
        and not ANSWER_REFERENCE.search(text)
    )
    return plain and (field != "author_email" or (bool(EMAIL.fullmatch(text)) and packaging_accepts(text)))


def packaging_accepts(address: str) -> bool:
    """What hatchling needs of an author's email to build the project (it refused ``zoë@example.org``)."""
    try:
        Address(display_name="x", addr_spec=address)
    except ValueError:
        return False
    return True


def bake_on_the_command_line(
    scratch: Path, answers: dict[str, str], *options: str
) -> subprocess.CompletedProcess[str]:
    """``cookiecutter --no-input -o scratch/out``, keeping its replay file in ``scratch``, not in ~."""
    config = scratch / "cookiecutter-config.yaml"
    config.write_text(
        yaml.safe_dump({"cookiecutters_dir": str(scratch / "cc"), "replay_dir": str(scratch / "r")})
    )
    arguments = [f"{name}={value}" for name, value in answers.items()]
    command = [COOKIECUTTER, "--no-input", *options, "--config-file", config, "-o", scratch / "out", TEMPLATE]
    return subprocess.run([*command, *arguments], capture_output=True, text=True, check=False)


def assert_every_file_parses(project: Path) -> None:
    for name in files_of(project):
        path = project / name
        if path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix in {".yml", ".yaml"}:
            yaml.load(path.read_text(), Loader=cloudformation_loader())
        elif path.suffix == ".py":
            ast.parse(path.read_text(), filename=name)


def assert_text_reads_back_as_typed(project: Path, answers: dict[str, str]) -> None:
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == answers["description"]
    assert metadata["authors"] == [{"name": answers["author_name"], "email": answers["author_email"]}]
    recorded = json.loads((project / ".template-answers.json").read_text())["answers"]
    assert {field: recorded[field] for field in answers} == answers
    readme = (project / "README.md").read_text().splitlines()
    assert readme[0] == f"# {answers['project_name']}"
    assert readme[2] == answers["description"]
    assert answers["author_name"] in (project / "LICENSE").read_text()


def check_bake(scratch: Path, answers: dict[str, str]) -> Path | None:
    """Bake into an existing, empty output folder and check the outcome against the rules.

    Returns the project folder when the answers were accepted.
    """
    output = scratch / "out"
    output.mkdir()
    result = bake_on_the_command_line(scratch, answers)
    refused = [field for field in FREE_TEXT if field in answers and not acceptable(field, answers[field])]

    if refused:
        assert result.returncode != 0
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert sorted(line.split()[1] for line in errors) == sorted(refused), result.stderr
        assert "Nothing was generated" in result.stderr
        assert list(output.iterdir()) == []
        return None
    assert result.returncode == 0, result.stderr
    [project] = output.iterdir()
    assert_every_file_parses(project)
    assert_text_reads_back_as_typed(
        project, {field: answers.get(field, DEFAULTS[field]) for field in FREE_TEXT}
    )
    return project


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FREE_TEXT), text=st.one_of(TEXT, st.text(max_size=400)))
def test_the_hook_refuses_free_text_in_one_line_naming_the_field_or_keeps_it_as_given(
    field: str, text: str
) -> None:
    """Any text, NUL and other control characters included, reaches the hook unchanged and is judged there."""
    with tempfile.TemporaryDirectory() as scratch:
        hook = render_hook("pre_gen_project", Path(scratch), **PINNED, **{field: text})

    assert hook.ANSWERS[field] == text
    found = hook.problems(hook.ANSWERS)
    if acceptable(field, text):
        assert found == []
    else:
        [problem] = found
        assert problem.startswith(f"{field} ") and "\n" not in problem


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(project_name=TEXT, description=TEXT, author_name=TEXT, author_email=EMAILS)
@example(
    project_name="Élan {{ 7*7 }} 🚀",
    description="{% raw %} 'single' \"double\" \\back\\slash key: value # [toml] = x",
    author_name="O'Brien {# not a comment #} 東京",
    author_email="o'brien+ml@例え.jp",
)
def test_hostile_free_text_is_refused_cleanly_or_kept_exactly(
    project_name: str, description: str, author_name: str, author_email: str
) -> None:
    answers = {
        "project_name": project_name,
        "description": description,
        "author_name": author_name,
        "author_email": author_email,
    }
    with tempfile.TemporaryDirectory() as scratch:
        check_bake(Path(scratch), PINNED | answers)


# The nastiest answers that must bake, each kept exactly: a fast, fixed sample of the property above.
ACCEPTED = [
    {"project_name": "{{ 7*7 }}", "description": "{{ 7*7 }}, made with cookiecutter"},
    {"description": "{% raw %} unbalanced", "author_name": "{% endraw %}{# #}"},
    {"description": "{{ cycler.__init__.__globals__.os.getcwd() }}"},
    {"description": "'single' \"double\" \\back\\slash\\ \\n \\u0041 ${{ github.token }} $(id) `id`"},
    {"description": "key: value # no comment [table] = 'x' &anchor *alias !!python/object --- | >"},
    {"project_name": "東京の顧客 مرحبا Ελληνικά", "author_name": "Zoë O'Brien 👩\u200d👩\u200d👧 \U0001d54f"},
    {"description": "d" * 300, "project_name": "p" * 80, "author_name": "a" * 100},
    {"author_email": "o'brien+ml@例え.jp"},
]
# And answers that must be refused, one line each.
REFUSED = [
    {"description": " leading space"},
    {"author_name": "trailing space "},
    {"description": "two\nlines"},
    {"description": "carriage\r\nreturn"},
    {"author_name": "zero\u200bwidth"},
    {"description": "d" * 301},
    {"author_email": "{{ 7*7 }}"},
    {"author_email": "zoë@example.org"},  # hatchling refuses to build with it
]


@pytest.mark.parametrize("answers", ACCEPTED, ids=range(len(ACCEPTED)))
def test_nasty_answers_bake_and_read_back_exactly(tmp_path: Path, answers: dict[str, str]) -> None:
    project = check_bake(tmp_path, PINNED | answers)

    assert project is not None


@pytest.mark.parametrize("answers", REFUSED, ids=range(len(REFUSED)))
def test_bad_free_text_is_refused_in_one_line_leaving_nothing(
    tmp_path: Path, answers: dict[str, str]
) -> None:
    assert check_bake(tmp_path, PINNED | answers) is None


def test_text_typed_at_the_prompt_that_reads_another_answer_is_refused(tmp_path: Path) -> None:
    """The prompt keeps it as typed, but `cruft update` would render it: refused, not changed later."""
    hook = render_hook("pre_gen_project", tmp_path)
    typed = hook.ANSWERS | {"description": "{{ cookiecutter.project_name }} fan club"}

    assert hook.problems(typed) == [
        "description '{{ cookiecutter.project_name }} fan club' refers to other answers through template "
        "syntax: write the text out"
    ]


def test_derived_defaults_still_follow_the_project_name(tmp_path: Path) -> None:
    """Only the template's own expressions are rendered: project_slug and module_name still derive."""
    project = check_bake(tmp_path, {"project_name": "Élan {{ 7*7 }} Vital", "description": "{{ 7*7 }}"})

    assert project is not None and project.name == "elan-7-7-vital"
    recorded = json.loads((project / ".template-answers.json").read_text())["answers"]
    assert (recorded["project_slug"], recorded["module_name"]) == ("elan-7-7-vital", "elan_7_7_vital")
    assert (project / "src" / "elan_7_7_vital" / "pipeline.py").exists()


def test_an_answer_may_still_be_derived_from_another_on_the_command_line(tmp_path: Path) -> None:
    """An expression that reads another answer is cookiecutter's way to derive one: it still works."""
    answers = {"project_name": "Basket Size", "project_slug": "{{ cookiecutter.project_name | slugify }}-ml"}
    result = bake_on_the_command_line(tmp_path, answers)

    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["basket-size-ml"]


@pytest.mark.parametrize("answers", [REFUSED[0], {"module_name": "dbt"}], ids=["free text", "module name"])
def test_a_refused_answer_leaves_an_existing_project_folder_untouched(
    tmp_path: Path, answers: dict[str, str]
) -> None:
    """Regenerating over a folder (--overwrite-if-exists) and being refused changes nothing in it."""
    project = tmp_path / "out" / "hostile-answers"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "keep.md").write_text("mine\n")
    (project / "pyproject.toml").write_text("# mine\n")
    before = {name: (project / name).read_bytes() for name in files_of(project)}

    result = bake_on_the_command_line(tmp_path, PINNED | answers, "--overwrite-if-exists")

    assert result.returncode != 0
    assert len([line for line in result.stderr.splitlines() if line.startswith("error: ")]) == 1
    assert {name: (project / name).read_bytes() for name in files_of(project)} == before
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["hostile-answers"]


# The nastiest accepted answers in one project, whose own lint and tests must then pass untouched.
NASTIEST = {
    "project_name": 'Zoë\'s "Ünïcode" {{ 7*7 }} 🚀 Radar',
    "description": "{% raw %} \\back\\slash 'quotes' \"double\" key: value # [toml] = ${{ github.token }}",
    "author_name": "O'Brien {# #} \\ مرحبا 👩\u200d👩\u200d👧",
    "author_email": "o'brien+ml@例え.jp",
}


@pytest.mark.slow
def test_a_project_baked_from_the_nastiest_answers_passes_its_own_lint_and_tests(tmp_path: Path) -> None:
    project = check_bake(tmp_path, NASTIEST)
    assert project is not None and project.name == "zoe-s-unicode-7-7-radar"

    run("git init -q && git add -A && make setup", cwd=project)
    run("make lint", cwd=project)
    output = run(QUICK_TESTS, cwd=project)
    assert " passed" in output and " failed" not in output


def interactive_bake(scratch: Path, typed: list[str], *options: str) -> subprocess.CompletedProcess[str]:
    """Answer the prompts as a user at a terminal would, one line per question ("" takes the default)."""
    config = scratch / "cookiecutter-config.yaml"
    config.write_text(
        yaml.safe_dump({"cookiecutters_dir": str(scratch / "cc"), "replay_dir": str(scratch / "r")})
    )
    command = [COOKIECUTTER, *options, "--config-file", config, "-o", scratch / "out", TEMPLATE]
    typed_lines = "".join(f"{line}\n" for line in typed)
    return subprocess.run(command, input=typed_lines, capture_output=True, text=True, check=False)


def test_stack_questions_are_menus_whose_first_item_is_the_default_for_the_scale(tmp_path: Path) -> None:
    questions = [name for name in DEFAULTS if not name.startswith("_")]
    typed = dict.fromkeys(questions, "") | {"team_size": "3", "warehouse": "5"}  # 31 to 100; bigquery

    result = interactive_bake(tmp_path, [typed[name] for name in questions])

    assert result.returncode == 0, result.stdout + result.stderr
    menu = result.stdout.split("Orchestrator (1 is the default for your scale answers)")[1].split("Choose")[0]
    assert [line.strip() for line in menu.strip().splitlines()] == [
        "1 - prefect",
        "2 - metaflow",
        "3 - prefect",
        "4 - none (a plain CLI)",
    ]
    answers = json.loads((tmp_path / "out" / "purchase-intent" / ".template-answers.json").read_text())[
        "answers"
    ]
    assert (answers["orchestrator"], answers["warehouse"], answers["data_quality"]) == (
        "prefect",
        "bigquery",
        "great_expectations",
    )


def test_a_stack_value_outside_its_menu_on_the_command_line_is_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    """Cookiecutter's own check, with its own traceback (hooks/pre_gen_project.py says what it prints)."""
    (tmp_path / "out").mkdir()
    result = bake_on_the_command_line(tmp_path, {"orchestrator": "airflow"})

    assert result.returncode != 0
    assert "airflow provided for choice variable orchestrator" in result.stderr.splitlines()[-1]
    assert "'metaflow', 'prefect', 'none'" in result.stderr.splitlines()[-1]
    assert list((tmp_path / "out").iterdir()) == []


def test_a_refusal_prints_one_command_that_bakes_once_the_answer_is_fixed(tmp_path: Path) -> None:
    answers = {
        "project_name": "Churn Radar",
        "serving": "modal",
        "author_email": "Jane Doe <jane@example.com>",
    }
    (tmp_path / "first").mkdir()
    refused = bake_on_the_command_line(tmp_path / "first", answers)
    assert refused.returncode != 0

    [command_line] = [line for line in refused.stderr.splitlines() if line.startswith("  cookiecutter ")]
    *command, last = shlex.split(command_line)
    assert last == "author_email=Jane Doe <jane@example.com>"
    config = tmp_path / "first" / "cookiecutter-config.yaml"
    replayed = subprocess.run(
        [COOKIECUTTER, *command[1:], "--config-file", config, "author_email=jane@example.com"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert replayed.returncode == 0, replayed.stderr
    recorded = json.loads((tmp_path / "first" / "out" / "churn-radar" / ".template-answers.json").read_text())
    assert recorded["answers"]["serving"] == "modal"
    assert recorded["answers"]["author_email"] == "jane@example.com"


def test_baking_over_a_project_with_another_stack_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    assert bake_on_the_command_line(tmp_path, {}).returncode == 0
    project = tmp_path / "out" / "purchase-intent"
    before = {name: (project / name).read_bytes() for name in files_of(project)}

    result = bake_on_the_command_line(tmp_path, {"serving": "modal"}, "--overwrite-if-exists")

    assert result.returncode != 0
    assert "make update-template" in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: serving 'modal' is not the 'aws_lambda' of the project in this folder")
    assert "run `make change-stack serving=modal` in the project" in error
    assert {name: (project / name).read_bytes() for name in files_of(project)} == before


def test_baking_over_a_project_with_the_same_stack_points_to_the_update_and_leaves_one_stack(
    tmp_path: Path,
) -> None:
    assert bake_on_the_command_line(tmp_path, {"serving": "modal"}).returncode == 0
    project = tmp_path / "out" / "purchase-intent"
    first = set(files_of(project))

    result = bake_on_the_command_line(tmp_path, {"serving": "modal"}, "--overwrite-if-exists")

    assert result.returncode == 0, result.stderr
    assert "`make update-template` in it merges the template's changes with yours" in result.stderr
    assert set(files_of(project)) == first
