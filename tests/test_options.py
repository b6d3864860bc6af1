"""options.toml is the one list of the choices: everything that lists them is written from it, and adding a
value takes one folder and one line there.

scripts/options.py (`make options`) writes cookiecutter.json's choice entries and prompts, the hooks' lists,
the recorded answers and the README's tables; these tests fail when any of them drifts from the registry,
when a stack default stops following the registry's rules, and when a new value needs more than its folder
and its line to bake cleanly through the covering matrix's checks.
"""

import importlib.util
import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from . import conftest, test_matrix
from .combinations import covering, label, prompts, registry
from .conftest import TEMPLATE, bake_into

NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".tools", "build", "__pycache__", ".*_cache", ".hypothesis"
)


def options_script() -> ModuleType:
    """scripts/options.py, loaded by its path (a package named `scripts` may be installed)."""
    spec = importlib.util.spec_from_file_location("rs_template_options", TEMPLATE / "scripts" / "options.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OPTIONS = options_script()


def generate(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`make options` (or with --check, what `make lint` runs) in the template at ``root``."""
    command = [sys.executable, str(root / "scripts" / "options.py"), *arguments]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)


def add_line(registry_file: Path, after: str, line: str) -> None:
    text = registry_file.read_text()
    assert text.count(after) == 1, after
    registry_file.write_text(text.replace(after, f"{after}{line}\n"))


def test_every_list_of_choices_matches_the_registry() -> None:
    drifted = OPTIONS.drifted(TEMPLATE)

    assert drifted == [], f"{', '.join(drifted)} drifted from options.toml: run `make options`"


def test_the_check_names_every_file_that_drifted_and_the_generator_brings_them_back(tmp_path: Path) -> None:
    root = tmp_path / "template"
    fed = ["cookiecutter.json", "README.md", "hooks", OPTIONS.TEMPLATE_ANSWERS]
    for path in ["options.toml", "scripts", *fed]:
        copy = shutil.copytree if (TEMPLATE / path).is_dir() else shutil.copyfile
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        copy(TEMPLATE / path, root / path)
    add_line(root / "options.toml", '\nwandb = ""\n', 'neptune = ""')

    check = generate(root, "--check")

    assert check.returncode == 1
    assert check.stderr.splitlines() == [
        f"error: {path} does not match options.toml: run `make options`"
        for path in ["cookiecutter.json", "hooks/pre_gen_project.py", "README.md"]
    ]
    assert generate(root).returncode == 0
    assert generate(root, "--check").returncode == 0
    assert OPTIONS.drifted(root) == []
    assert '"tracking": ("none", "mlflow", "wandb", "neptune"),' in (root / OPTIONS.PRE_GEN).read_text()
    assert "| none, mlflow, wandb, neptune |" in (root / "README.md").read_text()


def test_the_check_names_each_problem_of_a_malformed_registry(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATE / "scripts", tmp_path / "scripts")
    (tmp_path / "options.toml").write_text(
        '[license]\nkind = "choice"\nprompt = "Which license?"\nvalues = { MIT = "MIT" }\n\n'
        '[compute]\nkind = "scale"\nprompt = "Compute?"\nvalues = { cpu = "CPU | only" }\n\n'
        '[model]\nkind = "stack"\nprompt = "Model family"\nvalues = { sklearn = "", "py torch" = "" }\n'
        'default = [{ value = "pytorch", when = { compute = "gpu" } }, { value = "sklearn", when = {} }]\n'
    )

    check = generate(tmp_path, "--check")

    assert check.returncode == 1
    assert check.stderr.splitlines() == [
        "error: options.toml: [compute] lacks summary",
        'error: options.toml: [compute.values] cpu: the label is one line without `|`, or ""',
        "error: options.toml: [model.values] 'py torch': use letters, digits, '.', '_' and '-' only",
        "error: options.toml: [model] default rule 1: value 'pytorch' is not one of model's values",
        "error: options.toml: [model] default rule 1: compute has no value 'gpu'",
        "error: options.toml: [model] default rule 2 is the last, what applies otherwise: drop its `when`",
    ]


def rule_default(default: str | list[dict], answers: dict[str, str]) -> str:
    """A stack default as the registry states it: the first rule whose every condition holds."""
    if isinstance(default, str):
        return default
    for rule in default:
        when = rule.get("when", {})
        if all(answers[name] in (v if isinstance(v, list) else [v]) for name, v in when.items()):
            return str(rule["value"])
    raise AssertionError("the last rule always applies")


def test_the_stack_defaults_follow_the_registry_for_every_scale() -> None:
    """cookiecutter.json's Jinja defaults agree with the rules of options.toml, for all 81 scale answers."""
    choices = registry()
    scale = {name: list(choice["values"]) for name, choice in choices.items() if choice["kind"] == "scale"}
    mismatches = []
    for values in itertools.product(*scale.values()):
        answers = dict(zip(scale, values, strict=True))
        context = generate_context(str(TEMPLATE / "cookiecutter.json"), extra_context=answers)
        rendered = prompt_for_config(context, no_input=True)
        for name, choice in choices.items():
            if choice["kind"] == "stack" and rendered[name] != rule_default(choice["default"], answers):
                mismatches.append(f"{answers}: {name}={rendered[name]}")

    assert mismatches == []


THROWAWAY_FILE = '[throwaway]\nproject = "{{ cookiecutter.project_slug }}"\n'


def test_adding_a_value_is_one_folder_and_one_registry_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A throwaway tracker in a copy of the template: its folder, its line, `make options`, and the covering
    matrix bakes it with the matrix's own static checks."""
    template = tmp_path / "rs-template"
    shutil.copytree(TEMPLATE, template, ignore=NOT_COPIED)
    stack = template / "{{cookiecutter.project_slug}}" / "_stack" / "tracking"
    # The folder: the code the project imports from a tracker (here, the no-op tracker's), one file of its
    # own, and a line for a shared file.
    shutil.copytree(stack / "none", stack / "throwaway")
    (stack / "throwaway" / "throwaway.toml").write_text(THROWAWAY_FILE)
    (stack / "throwaway" / "_places").mkdir(exist_ok=True)
    (stack / "throwaway" / "_places" / "gitignore-tracking").write_text("/.throwaway/\n")
    # The line.
    add_line(template / "options.toml", '\nwandb = ""\n', 'throwaway = ""')

    assert generate(template, "--check").returncode == 1
    made = generate(template)
    assert made.returncode == 0, made.stderr
    assert generate(template, "--check").returncode == 0

    [combination, *_] = [c for c in covering(prompts(template)) if c["tracking"] == "throwaway"]
    monkeypatch.setattr(conftest, "TEMPLATE", template)
    monkeypatch.setattr(test_matrix, "TEMPLATE", template)
    project = bake_into(tmp_path / "bake", **combination)
    baked = {label(combination): project}

    test_matrix.test_bakes_exactly_the_files_its_answers_imply(combination, baked)
    test_matrix.test_is_fully_rendered_and_every_config_parses(combination, baked)
    test_matrix.test_every_combination_passes_ruff_untouched(baked)
    assert (project / "throwaway.toml").read_text() == THROWAWAY_FILE.replace(
        "{{ cookiecutter.project_slug }}", project.name
    )
    assert "/.throwaway/\n" in (project / ".gitignore").read_text()
    assert json.loads((project / ".template-answers.json").read_text())["answers"]["tracking"] == "throwaway"
