"""Write every list of the template's choices from options.toml; with --check, name each file that differs.

    python scripts/options.py            (make options) rewrites what drifted, and says which files
    python scripts/options.py --check    (make lint) changes nothing; exits 1 naming every file that drifted

From options.toml it writes: cookiecutter.json's choice entries and their __prompts__ (other entries stay as
they are), the answers and choices blocks of hooks/pre_gen_project.py, the stack block of
hooks/post_gen_project.py, {{cookiecutter.project_slug}}/.template-answers.json (every public variable of
cookiecutter.json) and the questions and stack tables of README.md. A block is the lines between a line
holding `BEGIN options.toml <name>` and one holding `END options.toml <name>`. Standard library only.
"""

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = "options.toml"
COOKIECUTTER = "cookiecutter.json"
PRE_GEN = "hooks/pre_gen_project.py"
POST_GEN = "hooks/post_gen_project.py"
TEMPLATE_ANSWERS = "{{cookiecutter.project_slug}}/.template-answers.json"
README = "README.md"

KINDS = ("choice", "scale", "stack")
FIELDS = {
    "choice": {"kind", "prompt", "values"},
    "scale": {"kind", "prompt", "values", "summary"},
    "stack": {"kind", "prompt", "values", "default", "readme"},
}
REQUIRED = {"choice": FIELDS["choice"], "scale": FIELDS["scale"], "stack": FIELDS["stack"] - {"readme"}}
NAME = re.compile(r"[a-z][a-z0-9_]*")
# A value becomes a folder name, a Python and Jinja string between quotes, and a command-line answer.
VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
LINE_LENGTH = 110  # the template's ruff line length: generated hook lines must not need reformatting

Registry = dict[str, dict[str, Any]]


class RegistryError(Exception):
    """options.toml is malformed; the message lists every problem, one a line."""


def load(root: Path = ROOT) -> Registry:
    """The choices of ``root``'s options.toml, in order, checked."""
    try:
        registry = tomllib.loads((root / REGISTRY).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"{REGISTRY}: {error}") from error
    problems = [f"{REGISTRY}: {problem}" for problem in registry_problems(registry)]
    if problems:
        raise RegistryError("\n".join(problems))
    return registry


def registry_problems(registry: Registry) -> list[str]:
    problems: list[str] = []
    scale: dict[str, dict[str, str]] = {}
    for name, choice in registry.items():
        if not NAME.fullmatch(name) or not isinstance(choice, dict):
            problems.append(f"[{name}] is not a choice: use a table named like a variable, [lowercase_name]")
            continue
        kind = choice.get("kind")
        if kind not in KINDS:
            problems.append(f"[{name}] kind {kind!r} is not one of {', '.join(KINDS)}")
            continue
        problems += [f"[{name}] lacks {field}" for field in sorted(REQUIRED[kind] - set(choice))]
        problems += [f"[{name}] has unknown field {field}" for field in sorted(set(choice) - FIELDS[kind])]
        for field in ("prompt", "summary", "readme"):
            if field in choice and not plain_text(choice[field]):
                problems.append(f"[{name}] {field} must be one line of text, without `|` (a table's border)")
        values = choice.get("values")
        if not isinstance(values, dict) or not values:
            problems.append(f'[{name}] needs [{name}.values], one line a value: <value> = "<label>"')
            continue
        for value, label in values.items():
            if not VALUE.fullmatch(value):
                problems.append(f"[{name}.values] {value!r}: use letters, digits, '.', '_' and '-' only")
            if not (label == "" or plain_text(label)):
                problems.append(f'[{name}.values] {value}: the label is one line without `|`, or ""')
        if kind == "scale":
            scale[name] = values
        elif kind == "stack" and "default" in choice:
            problems += default_problems(name, choice["default"], values, scale)
    if registry.get("license", {}).get("kind") != "choice":
        problems.append("[license] must be a choice: the post-generation hook takes the license text by name")
    return problems


def plain_text(text: Any) -> bool:
    return isinstance(text, str) and bool(text.strip()) and "|" not in text and len(text.splitlines()) == 1


def default_problems(name: str, default: Any, values: dict[str, str], scale: dict[str, dict]) -> list[str]:
    """A stack default is a value, or rules over the scale answers asked before it ending in a fallback."""
    if isinstance(default, str):
        return [] if default in values else [f"[{name}] default {default!r} is not one of its values"]
    if not isinstance(default, list) or not default or not all(isinstance(rule, dict) for rule in default):
        return [f"[{name}] default must be a value or a list of rules {{ value = ..., when = {{ ... }} }}"]
    problems = []
    for number, rule in enumerate(default, 1):
        where = f"[{name}] default rule {number}"
        if set(rule) - {"value", "when"}:
            problems.append(f"{where} has unknown fields {', '.join(sorted(set(rule) - {'value', 'when'}))}")
        if rule.get("value") not in values:
            problems.append(f"{where}: value {rule.get('value')!r} is not one of {name}'s values")
        last = number == len(default)
        if last and "when" in rule:
            problems.append(f"{where} is the last, what applies otherwise: drop its `when`")
        if not last and not (isinstance(rule.get("when"), dict) and rule["when"]):
            problems.append(f"{where} needs `when`: only the last rule applies otherwise")
            continue
        for variable, wanted in rule.get("when", {}).items():
            if variable not in scale:
                problems.append(f"{where}: {variable} is not a scale choice asked before {name}")
                continue
            wanted_values = wanted if isinstance(wanted, list) else [wanted]
            unknown = [value for value in wanted_values if value not in scale[variable]]
            if unknown or not wanted_values:
                problems.append(f"{where}: {variable} has no value {', '.join(map(repr, unknown))}")
    return problems


# What the registry generates.


def of_kind(registry: Registry, *kinds: str) -> Registry:
    return {name: choice for name, choice in registry.items() if choice["kind"] in kinds}


def listed(items: list[str]) -> str:
    """a, b or c"""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def noted(choice: dict[str, Any]) -> list[str]:
    """A stack choice's values, each with its label in brackets when it has one."""
    return [f"{value} ({label})" if label else value for value, label in choice["values"].items()]


def labels(choice: dict[str, Any]) -> dict[str, str]:
    """What a menu shows for each value: its label, or the value itself."""
    return {value: label or value for value, label in choice["values"].items()}


def condition(when: dict[str, Any]) -> str:
    parts = []
    for variable, wanted in when.items():
        if isinstance(wanted, list):
            parts.append(f"cookiecutter.{variable} in [{', '.join(repr(value) for value in wanted)}]")
        else:
            parts.append(f"cookiecutter.{variable} == {wanted!r}")
    return " and ".join(parts)


def default_expression(default: str | list[dict[str, Any]]) -> str:
    """A stack choice's default for cookiecutter.json: a value, or a Jinja expression over the scale."""
    if isinstance(default, str):
        return default
    if len(default) == 1:
        return default[0]["value"]
    branches = [f"{rule['value']!r} if {condition(rule['when'])} else" for rule in default[:-1]]
    return f"{{{{ {' '.join(branches)} {default[-1]['value']!r} }}}}"


def derived(default: str | list[dict[str, Any]]) -> bool:
    """Whether a stack default depends on the scale answers."""
    return isinstance(default, list) and len(default) > 1


def stack_menu(choice: dict[str, Any]) -> list[str]:
    """A stack choice's menu for cookiecutter.json: its default first, then every value.

    A default derived from the scale is a Jinja expression, and Cookiecutter renders each item of a menu, so
    it shows as item 1, followed by every value again (once more the default among them). Every value must
    stay in the list literally: Cookiecutter accepts a value given by name (command line, `--config-file`,
    `extra_context`, `cruft update` replaying .cruft.json) only when it is an item of the unrendered list.
    """
    values = list(choice["values"])
    default = choice["default"]
    if derived(default):
        return [default_expression(default), *values]
    fixed = default if isinstance(default, str) else default[0]["value"]
    return [fixed, *(value for value in values if value != fixed)]


def stack_question(choice: dict[str, Any]) -> str:
    """The question above a stack menu; when its first item is derived, it says so, as it repeats below."""
    if derived(choice["default"]):
        return f"{choice['prompt']} (1 is the default for your scale answers)"
    return str(choice["prompt"])


def default_text(default: str | list[dict[str, Any]], registry: Registry) -> str:
    """The same default in words, for the README."""
    if isinstance(default, str):
        return f"`{default}`"
    if len(default) == 1:
        return f"`{default[0]['value']}`"

    def label(variable: str, value: str) -> str:
        text = registry[variable]["values"][value] or value
        first_word = text.split()[0]
        return text[0].lower() + text[1:] if first_word[1:].islower() or len(first_word) == 1 else text

    rules = []
    for rule in default[:-1]:
        conditions = []
        for variable, wanted in rule["when"].items():
            wanted_values = wanted if isinstance(wanted, list) else [wanted]
            conditions.append(f"{variable} is {listed([label(variable, value) for value in wanted_values])}")
        rules.append(f"`{rule['value']}` when {' and '.join(conditions)}")
    return "; ".join([*rules, f"`{default[-1]['value']}` otherwise"])


def cookiecutter_json(registry: Registry, text: str) -> str:
    """cookiecutter.json with the choices' entries and prompts written from the registry, in its order, where
    the first of them stood; every other entry is kept as it is."""
    context = json.loads(text)
    stale = [
        name
        for name, entry in context.items()
        if isinstance(entry, list) and name[:1] != "_" and name not in registry
    ]
    if stale:
        raise RegistryError(
            f"{COOKIECUTTER}: {', '.join(stale)} lists values {REGISTRY} lacks: add it there, or delete its "
            "entry and its __prompts__ line to drop the choice"
        )
    entries, prompts = {}, {}
    for name, choice in registry.items():
        values = choice["values"]
        if choice["kind"] == "stack":
            entries[name] = stack_menu(choice)
            named = {value: f"{value} ({label})" if label else value for value, label in values.items()}
            prompts[name] = {"__prompt__": stack_question(choice), **named}
        else:
            entries[name] = list(values)
            question = choice["prompt"]
            prompts[name] = {"__prompt__": question, **labels(choice)} if any(values.values()) else question
    context = placed(context, entries)
    context["__prompts__"] = placed(context.get("__prompts__", {}), prompts)
    return json.dumps(context, indent=2, ensure_ascii=False) + "\n"


def placed(mapping: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` with ``block``'s entries in place of its own, together where the first of them was
    (before the first private `_` entry when there was none)."""
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        if block.keys() - result.keys() and (key in block or key.startswith("_")):
            result |= block
        if key not in block:
            result[key] = value
    return result | {key: value for key, value in block.items() if key not in result}


def public_variables(cookiecutter_text: str) -> list[str]:
    """The answers a project records: every variable of cookiecutter.json that is asked."""
    return [name for name in json.loads(cookiecutter_text) if not name.startswith("_")]


def python_mapping(name: str, items: list[tuple[str, str]]) -> list[str]:
    """``name = {key: value, ...}`` one item a line, keys quoted, values written as given."""
    return [f"{name} = {{", *(f"    {json.dumps(key)}: {value}," for key, value in items), "}"]


def python_tuple(prefix: str, values: list[str]) -> list[str]:
    """``<prefix>(values),`` on one line, or one value a line as ruff format wraps it when too long."""
    quoted = [json.dumps(value) for value in values]
    line = f"{prefix}({', '.join(quoted)}{',' if len(quoted) == 1 else ''}),"
    if len(line) <= LINE_LENGTH:
        return [line]
    indent = " " * (len(prefix) - len(prefix.lstrip()))
    return [f"{prefix}(", *(f"{indent}    {value}," for value in quoted), f"{indent}),"]


def pre_gen_blocks(registry: Registry, variables: list[str]) -> dict[str, list[str]]:
    answers = [(name, f"{{{{ cookiecutter.{name} | quoted }}}}") for name in variables]
    choices = [
        line
        for name, choice in registry.items()
        for line in python_tuple(f"    {json.dumps(name)}: ", [*choice["values"]])
    ]
    stack = python_tuple("STACK_CHOICES = ", [*of_kind(registry, "stack")])
    stack[-1] = stack[-1].removesuffix(",")
    return {"answers": python_mapping("ANSWERS", answers), "choices": ["CHOICES = {", *choices, "}", *stack]}


def post_gen_blocks(registry: Registry) -> dict[str, list[str]]:
    stack = [(name, f'"{{{{ cookiecutter.{name} }}}}"') for name in of_kind(registry, "stack")]
    # The summary shows each scale answer as its menu did: the label, which Jinja looks up from the value.
    scale = [
        (choice["summary"], f"{{{{ {json.dumps(labels(choice))}[cookiecutter.{name}] | quoted }}}}")
        for name, choice in of_kind(registry, "scale").items()
    ]
    # apply_stack() reads the license by name: each license text is a folder, _stack/license/<value>/.
    return {
        "stack": [
            *python_mapping("STACK", stack),
            'LICENSE = "{{ cookiecutter.license }}"',
            *python_mapping("SCALE", scale),
        ]
    }


def template_answers(variables: list[str]) -> str:
    lines = [f"    {json.dumps(name)}: {{{{ cookiecutter.{name} | quoted }}}}" for name in variables]
    return (
        "{\n"
        '  "template_version": "{{ cookiecutter._template_version }}",\n'
        '  "answers": {\n' + ",\n".join(lines) + "\n  }\n}\n"
    )


def readme_blocks(registry: Registry) -> dict[str, list[str]]:
    questions = ["| variable | question | values (default first) |", "|---|---|---|"]
    for name, choice in of_kind(registry, "choice", "scale").items():
        questions.append(f"| `{name}` | {choice['prompt']} | {', '.join(choice['values'])} |")
    stack = of_kind(registry, "stack")
    if stack:
        names = ", ".join(f"`{name}`" for name in stack)
        questions.append(f"| {names} | the stack | defaults derived from the scale answers, below |")
    table = ["| stack choice | derived default | all values |", "|---|---|---|"]
    for name, choice in stack.items():
        heading = f"`{name}` ({choice['readme']})" if "readme" in choice else f"`{name}`"
        table.append(
            f"| {heading} | {default_text(choice['default'], registry)} | {', '.join(noted(choice))} |"
        )
    return {"questions": questions, "stack": table}


def with_blocks(path: str, text: str, blocks: dict[str, list[str]]) -> str:
    """``text`` with the lines between each block's BEGIN and END marker lines replaced."""
    lines = text.splitlines(keepends=True)
    for name, content in blocks.items():
        begin, end = (marker_lines(lines, edge, name) for edge in ("BEGIN", "END"))
        if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
            raise RegistryError(
                f"{path}: needs one line with `BEGIN {REGISTRY} {name}` and, after it, one with "
                f"`END {REGISTRY} {name}`, around the lines `make options` writes"
            )
        lines[begin[0] + 1 : end[0]] = [f"{line}\n" for line in content]
    return "".join(lines)


def marker_lines(lines: list[str], edge: str, name: str) -> list[int]:
    marker = re.compile(rf"\b{edge} {re.escape(REGISTRY)} {re.escape(name)}\b")
    return [number for number, line in enumerate(lines) if marker.search(line)]


def generated(root: Path = ROOT) -> dict[str, str]:
    """What each file the registry feeds should hold, by path relative to ``root``."""
    registry = load(root)
    cookiecutter = cookiecutter_json(registry, current(root, COOKIECUTTER))
    variables = public_variables(cookiecutter)
    return {
        COOKIECUTTER: cookiecutter,
        PRE_GEN: with_blocks(PRE_GEN, current(root, PRE_GEN), pre_gen_blocks(registry, variables)),
        POST_GEN: with_blocks(POST_GEN, current(root, POST_GEN), post_gen_blocks(registry)),
        TEMPLATE_ANSWERS: template_answers(variables),
        README: with_blocks(README, current(root, README), readme_blocks(registry)),
    }


def current(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8") if (root / path).exists() else ""


def drifted(root: Path = ROOT, files: dict[str, str] | None = None) -> list[str]:
    """The files that do not hold what the registry generates."""
    files = generated(root) if files is None else files
    return [path for path, text in files.items() if current(root, path) != text]


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="scripts/options.py", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming drifted files")
    arguments = parser.parse_args(argv)
    try:
        files = generated(root)
    except RegistryError as error:
        print(f"error: {error}".replace("\n", "\nerror: "), file=sys.stderr)
        return 1
    stale = drifted(root, files)
    if arguments.check:
        for path in stale:
            print(f"error: {path} does not match {REGISTRY}: run `make options`", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        (root / path).write_text(files[path], encoding="utf-8")
        print(f"wrote {path}")
    if not stale:
        print(f"every list of choices matches {REGISTRY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
