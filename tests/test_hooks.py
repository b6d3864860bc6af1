"""The hooks, rendered as cookiecutter renders them: validation messages, pruning, and nothing left behind."""

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from . import import_names
from .combinations import prompts
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
        (
            {"author_email": "Jane Doe <jane@example.com>"},
            "author_email 'Jane Doe <jane@example.com>' is a name and an address: give the address alone, "
            "e.g. author_email=jane@example.com (the name goes in author_name)",
        ),
        ({"author_email": "jane.example.com"}, "is not an email address (it needs exactly one @)"),
        ({"author_email": "jane doe@example.com"}, "is not an email address (it contains a space)"),
        ({"author_email": "jane@example"}, "(it needs a domain with a dot after the @): use the form name@"),
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


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("orchestrator", "airflow", "orchestrator 'airflow' is not available: choose one of metaflow"),
        ("warehouse", "oracle", "warehouse 'oracle' is not available"),
        ("data_quality", "soda", "data_quality 'soda' is not available"),
        ("tracking", "neptune", "tracking 'neptune' is not available"),
        ("model", "xgboost", "model 'xgboost' is not available"),
        ("serving", "kubernetes", "serving 'kubernetes' is not available"),
        ("ci", "jenkins", "ci 'jenkins' is not available"),
        ("compute", "4", "compute '4' is a menu's number: give the value's name, one of cpu, one_gpu"),
        ("orchestrator", "2", "orchestrator '2' is a menu's number: give the value's name, one of metaflow"),
    ],
)
def test_a_value_outside_a_menu_that_reaches_the_hook_is_refused(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    """Cookiecutter checks a value given by name against its menu; a replay file or hand-edited answers are
    not checked, and reach the hook."""
    hook = render_hook("pre_gen_project", tmp_path)
    [problem] = hook.problems(hook.ANSWERS | {field: value})

    assert problem.startswith(message)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    hook = render_hook("pre_gen_project", tmp_path, module_name="dbt", author_email="nope")

    assert len(hook.problems(hook.ANSWERS | {"ci": "jenkins"})) == 3


@pytest.mark.parametrize(
    "name",
    [
        "yaml",  # PyYAML, which dbt and pre-commit import
        "jinja2",  # dbt's templates
        "agate",  # dbt's tables
        "click",  # every command-line tool's
        "google",  # a namespace package: BigQuery's client
        "pil",  # Pillow's `PIL`, through matplotlib: one folder on case-insensitive file systems
        "win32api",  # pywin32, which the lock installs on Windows only
        "nvidia",  # PyTorch's CUDA build, which no test sets up
    ],
)
def test_a_module_name_that_would_shadow_an_indirect_dependency_is_refused(tmp_path: Path, name: str) -> None:
    hook = render_hook("pre_gen_project", tmp_path, module_name=name)

    assert hook.problems(hook.ANSWERS) == [
        f"module_name {name!r} shadows a dependency or folder: choose e.g. {name}_ml"
    ]


def project_scripts() -> set[str]:
    """The modules of the folders whose scripts run by their path (whichever stack values bring them)."""
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    scripts = [*root.glob("*/*.py"), *root.glob("_stack/*/*/*/*.py")]
    return {path.stem for path in scripts if path.parent.name in ("flows", "benchmarks", "scripts")}


def test_every_script_a_project_can_run_is_refused_as_module_name(tmp_path: Path) -> None:
    scripts = sorted(project_scripts())
    assert "training_flow" in scripts and "pipeline" in scripts

    for name in scripts:
        hook = render_hook("pre_gen_project", tmp_path, module_name=name)
        assert [problem.split(":")[0] for problem in hook.problems(hook.ANSWERS)] == [
            f"module_name {name!r} shadows a dependency or folder"
        ]


def project_folders() -> set[str]:
    """The generated project's top-level folders, whichever stack values bring them."""
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    folders = {path.name for path in root.iterdir() if path.is_dir()} - {"_stack"}
    return folders | {path.name for path in root.glob("_stack/*/*/*") if path.is_dir()} - {"_places"}


def test_every_folder_a_project_can_have_is_refused_as_module_name(tmp_path: Path) -> None:
    folders = sorted(name for name in project_folders() if name.isidentifier())
    assert "tests" in folders and "flows" in folders

    for name in folders:
        hook = render_hook("pre_gen_project", tmp_path, module_name=name)
        assert [problem.split(":")[0] for problem in hook.problems(hook.ANSWERS)] == [
            f"module_name {name!r} shadows a dependency or folder"
        ]


def test_the_hooks_list_holds_what_other_platforms_install_sorted_as_the_generator_writes_it() -> None:
    """Names of packages no environment here installs cannot be checked by the slow tests: they come from
    ``ELSEWHERE``. And the list keeps the generator's layout, so that regenerating it shows only real changes.
    """
    listed = import_names.hook_names()

    assert import_names.elsewhere_names() <= listed
    assert import_names.hook_assignment(listed) in (TEMPLATE / "hooks" / "pre_gen_project.py").read_text()


def test_import_names_finds_modules_packages_namespaces_and_extensions_but_not_the_project(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site-packages"
    for name in (
        "six.py",  # a module
        "yaml/__init__.py",  # a package
        "google/cloud/bigquery/__init__.py",  # a namespace package
        "_yaml.cpython-311-x86_64-linux-gnu.so",  # an extension module: private, no module_name takes it
        "pydantic_core/_pydantic_core.abi3.so",  # a folder of extension modules only
        "markupsafe.cpython-311-x86_64-linux-gnu.so",
        "PIL/__init__.py",  # lowercased
        "win32/lib/win32con.py",  # a folder a .pth file puts on the path
        "win32/timer.cpython-311-x86_64-linux-gnu.so",
        "share/fonts/font.ttf",  # data, not a namespace
        "numpy.libs/libopenblas.so",
        "purchase_intent/__init__.py",  # the project itself, installed from its folder (below)
    ):
        put(site / name, "")
    put(site / "purchase_intent-0.1.0.dist-info/METADATA", "Name: purchase-intent\n")
    put(site / "purchase_intent-0.1.0.dist-info/direct_url.json", '{"url": "file:///p", "dir_info": {}}')
    put(site / "purchase_intent-0.1.0.dist-info/top_level.txt", "purchase_intent\n")
    put(site / "dbt_core-1.11.0.dist-info/METADATA", "Name: dbt-core\n")  # metadata, wherever the files are
    put(site / "dbt_core-1.11.0.dist-info/top_level.txt", "dbt\n")
    put(site / "pywin32.pth", "# comment\nwin32\nwin32\\lib\nimport os\n")
    put(tmp_path / "src" / "editable_project" / "__init__.py", "")  # an editable project's source
    put(site / "_editable_impl_project.pth", f"{tmp_path / 'src'}\n")

    found = import_names.environment_names([site])

    # `lib` is win32/lib as a namespace package, once the .pth puts win32 on the path.
    assert found == {
        "dbt",
        "google",
        "lib",
        "markupsafe",
        "pil",
        "pydantic_core",
        "six",
        "timer",
        "win32",
        "win32con",
        "yaml",
    }


def test_the_rendered_hook_exits_non_zero_with_error_lines_and_one_command_keeping_the_answers(
    tmp_path: Path,
) -> None:
    hook = render_hook("pre_gen_project", tmp_path, module_name="dbt", author_email="Jane <jane@x.com>")
    project = tmp_path / "project"  # the hook runs in the new project's folder
    project.mkdir()

    result = subprocess.run(
        [sys.executable, tmp_path / "pre_gen_project.py"], cwd=project, capture_output=True, text=True
    )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error: ")] == lines[:2]
    assert lines[2].startswith("Nothing was generated. Your answers, with module_name, author_email last")
    command = shlex.split(lines[3])
    assert command[0] == "cookiecutter" and "--no-input" in command
    given = [word.split("=", 1) for word in command if "=" in word]
    assert dict(given) == hook.ANSWERS
    assert [field for field, _ in given[-2:]] == ["module_name", "author_email"]
    assert "traceback of its own" in lines[-1]


@pytest.mark.parametrize("text", ['O\'Brien "Bob" \\ 🚀', "東京の顧客", "tab\there"])
def test_user_text_reaches_the_hook_unchanged(tmp_path: Path, text: str) -> None:
    hook = render_hook("pre_gen_project", tmp_path, author_name=text)

    assert hook.ANSWERS["author_name"] == text


def put(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_post_gen_puts_the_chosen_values_files_in_place_and_drops_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = render_hook("post_gen_project", tmp_path, orchestrator="metaflow", ci="github")
    project = tmp_path / "project"
    for choice, value in hook.STACK.items():
        for option in (value, "another"):
            put(project / "_stack" / choice / option / "docs" / f"{choice}-{option}.md", option)
    monkeypatch.chdir(project)

    hook.apply_stack()
    hook.apply_stack()  # cruft runs hooks more than once: the second run must change nothing

    assert {p.name for p in project.rglob("*") if p.is_file()} == {
        f"{choice}-{value}.md" for choice, value in hook.STACK.items()
    }
    assert not (project / "_stack").exists()


SHARED_LAYOUT = {
    "gcp_cloud_run+modal/tests/test_app.py": {"gcp_cloud_run", "modal"},
    "gcp_cloud_run/deploy/Dockerfile": {"gcp_cloud_run"},
    "modal/src/modal_app.py": {"modal"},
    "aws_lambda+sagemaker_serverless/src/serving/__init__.py": {"aws_lambda", "sagemaker_serverless"},
}


@pytest.mark.parametrize("serving", ["gcp_cloud_run", "modal", "aws_lambda", "none"])
def test_a_shared_folder_gives_its_files_to_each_value_it_names_and_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serving: str
) -> None:
    hook = render_hook("post_gen_project", tmp_path, serving=serving)
    project = tmp_path / "project"
    for name in SHARED_LAYOUT:
        put(project / "_stack" / "serving" / name, name)
    monkeypatch.chdir(project)

    hook.apply_stack()
    hook.apply_stack()

    landed = {p.relative_to(project).as_posix(): p.read_text() for p in project.rglob("*") if p.is_file()}
    assert landed == {
        name.split("/", 1)[1]: name for name, values in SHARED_LAYOUT.items() if serving in values
    }
    assert not (project / "_stack").exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("_stack/serving/gcp_cloud_run+modal", "_stack/serving/modal"),  # one value, two folders
        ("_stack/model/lightgbm", "_stack/serving/modal"),  # two choices
    ],
)
def test_a_file_two_chosen_folders_provide_is_refused_before_anything_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, second: str
) -> None:
    hook = render_hook("post_gen_project", tmp_path, serving="modal", model="lightgbm")
    project = tmp_path / "project"
    for folder in (first, second):
        put(project / folder / "tests" / "test_fuzz.py", folder)
    monkeypatch.chdir(project)

    with pytest.raises(SystemExit) as refused:
        hook.apply_stack()

    assert str(refused.value) == (
        f"error: {first}/tests/test_fuzz.py and {second}/tests/test_fuzz.py would both become"
        " tests/test_fuzz.py: keep one"
    )
    assert not (project / "tests").exists()


def test_a_chosen_folders_file_left_in_place_by_an_earlier_bake_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Baking over a project (-f) with the same stack finds the files its first bake moved into place."""
    hook = render_hook("post_gen_project", tmp_path, serving="modal")
    project = tmp_path / "project"
    put(project / "src" / "modal_app.py", "from the first bake")
    put(project / "_stack" / "serving" / "modal" / "src" / "modal_app.py", "from this bake")
    monkeypatch.chdir(project)

    hook.apply_stack()

    assert (project / "src" / "modal_app.py").read_text() == "from this bake"
    assert not (project / "_stack").exists()


def test_places_take_the_chosen_values_lines_in_stack_order_and_vanish_when_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = render_hook(
        "post_gen_project", tmp_path, orchestrator="prefect", tracking="mlflow", serving="modal"
    )
    project = tmp_path / "project"
    put(project / "Makefile", "A := 1\n# place: variables\n\nall:\n\n# place: targets\n\nend:\n")
    put(project / "README.md", "# Title\n\n<!-- place: readme -->\n\nThe end.\n")
    put(project / "_stack/tracking/mlflow/_places/variables", "B := 2\n")
    put(project / "_stack/orchestrator/prefect/_places/variables", "C := 3\n")
    put(project / "_stack/orchestrator/metaflow/_places/variables", "D := 4\n")  # not chosen
    put(project / "_stack/serving/gcp_cloud_run+modal/_places/readme", "Served.\n\n<!-- place: web -->\n")
    put(project / "_stack/serving/modal/_places/web", "By Modal.")
    monkeypatch.chdir(project)

    hook.apply_stack()

    # Orchestrator before tracking, as in STACK; an empty place takes its line and one blank line with it.
    assert (project / "Makefile").read_text() == "A := 1\nC := 3\nB := 2\n\nall:\n\nend:\n"
    assert (project / "README.md").read_text() == "# Title\n\nServed.\n\nBy Modal.\n\nThe end.\n"
    assert not (project / "_stack").exists()


def test_a_chosen_values_own_file_may_mark_a_place_for_another_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = render_hook("post_gen_project", tmp_path, serving="modal", ci="github")
    project = tmp_path / "project"
    put(project / "_stack/ci/github/.github/workflows/ci.yml", "steps:\n  # place: ci-steps\n")
    put(project / "_stack/serving/modal/_places/ci-steps", "  - run: modal deploy\n")
    monkeypatch.chdir(project)

    hook.apply_stack()

    assert (project / ".github/workflows/ci.yml").read_text() == "steps:\n  - run: modal deploy\n"


def test_lines_for_a_place_no_file_marks_are_refused_before_anything_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = render_hook("post_gen_project", tmp_path, tracking="mlflow")
    project = tmp_path / "project"
    put(project / "Makefile", "# place: variables\n")
    put(project / "_stack/tracking/mlflow/_places/varaibles", "B := 2\n")
    put(project / "_stack/tracking/mlflow/docs/mlflow.md", "MLflow")
    monkeypatch.chdir(project)

    with pytest.raises(SystemExit) as refused:
        hook.apply_stack()

    assert str(refused.value) == "error: no shared file marks the place varaibles: add `# place: <name>`"
    assert not (project / "docs").exists()
    assert (project / "Makefile").read_text() == "# place: variables\n"


def test_shared_files_leave_the_options_to_their_folders() -> None:
    """What a value adds to a shared file lives in its folder: the shared files hold few conditions."""
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    conditions = {
        path.relative_to(root).as_posix(): count
        for path in root.rglob("*")
        if path.is_file() and "_stack" not in path.parts and "dbt" not in path.parts[:1]
        if (count := len(re.findall(r"[{]%-? *if cookiecutter\.", path.read_text())))
    }
    assert sum(conditions.values()) < 10, conditions


def test_every_file_has_one_home() -> None:
    """A file is shared by every project or belongs to values of one choice, never to two choices.

    (Lines for a shared file's places are not files of the project: several choices add to one place.)
    """
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    homes: dict[str, set[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            parts = path.relative_to(root).parts
            home, relative = (parts[1], parts[3:]) if parts[0] == "_stack" else ("shared", parts)
            if relative[0] != "_places":
                homes.setdefault("/".join(relative), set()).add(home)
    assert {name: places for name, places in homes.items() if len(places) > 1} == {}


def test_every_stack_folder_names_values_of_its_choice_and_gives_each_value_a_file_once() -> None:
    """``_stack/<choice>/<a>+<b>/`` holds files both values use; neither may have the same file elsewhere.

    (What they add to a place may come from both: a value's lines follow the lines it shares.)
    """
    sources: dict[tuple[str, str, str], list[str]] = {}
    choices = prompts()
    for folder in sorted((TEMPLATE / "{{cookiecutter.project_slug}}" / "_stack").glob("*/*")):
        choice, values = folder.parent.name, folder.name.split("+")
        assert set(values) <= set(choices[choice]) and len(set(values)) == len(values), folder.name
        files = (path.relative_to(folder) for path in folder.rglob("*") if path.is_file())
        for relative in (path.as_posix() for path in files if path.parts[0] != "_places"):
            for value in values:
                sources.setdefault((choice, value, relative), []).append(folder.name)
    assert {key: folders for key, folders in sources.items() if len(folders) > 1} == {}


def test_post_gen_summary_names_the_profile_the_stack_and_three_commands(tmp_path: Path) -> None:
    text = render_hook("post_gen_project", tmp_path).summary()

    assert (
        "scale: ML value per year: Under $1M, ML and data engineers: 1 to 10, "
        "data per training run: Under 100 GB, training compute: CPU only"
    ) in text
    assert "orchestrator=metaflow" in text and "warehouse=duckdb" in text
    assert [line.split("#")[0].strip() for line in text.splitlines() if line.strip().startswith("make ")] == [
        "make setup",
        "make run",
        "make test",
    ]
