"""Which combinations of answers the tests bake: generated from cookiecutter.json, never listed by hand.

Baking every combination of every prompt would mean hundreds of thousands of projects. A covering array
bakes each value of every prompt at least once and every pair of values of two different prompts together at
least once: most interaction bugs involve two options, and the number of combinations grows with the
product of the two largest choice lists, not with the product of all of them.
"""

import ast
import itertools
import json
import math
from collections.abc import Iterable

from .conftest import TEMPLATE

Combination = dict[str, str]
# Values of ``strength`` different prompts: ((prompt, value), (prompt, value), ...).
Tuple = tuple[tuple[str, str], ...]


def stack_choices() -> dict[str, list[str]]:
    """The values each stack prompt accepts, read from the pre-generation hook that enforces them.

    The stack prompts are text with a derived default, so the hook's ``CHOICES`` is where their values live:
    adding a value there (and its files under ``_stack/``) is all the covering matrix needs to bake it.
    """
    source = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text()
    [choices] = [
        node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "CHOICES" for t in node.targets)
    ]
    values: dict[str, tuple[str, ...]] = ast.literal_eval(choices)
    return {name: list(options) for name, options in values.items() if name in STACK_PROMPTS}


# Prompts whose answer picks files and code, not just text: the runtime tier covers these.
STACK_PROMPTS = ("orchestrator", "warehouse", "data_quality", "tracking", "model", "serving", "ci")
STACK = stack_choices()


def prompts() -> dict[str, list[str]]:
    """Every prompt with a fixed set of values: the choice lists of cookiecutter.json, then the stack."""
    context = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    public = {name: values for name, values in context.items() if not name.startswith("_")}
    return {name: values for name, values in public.items() if isinstance(values, list)} | STACK


def covering(
    factors: dict[str, list[str]], strength: int = 2, covered: Combination | None = None
) -> list[Combination]:
    """A small set of combinations covering every ``strength``-tuple of values (1: each value, 2: pairs).

    Greedy and deterministic: each new combination starts from the first uncovered tuple and fills the other
    prompts with the value that covers the most still-uncovered tuples (ties go to the earlier value). The
    tuples of ``covered``, a combination tested elsewhere, need no other.
    """
    names = list(factors)
    uncovered = {
        tuple(zip(group, values, strict=True))
        for group in itertools.combinations(names, strength)
        for values in itertools.product(*(factors[name] for name in group))
    }
    if covered is not None:
        uncovered -= _tuples(covered, names, strength)
    combinations: list[Combination] = []
    while uncovered:
        combination: Combination = dict(min(uncovered))
        for name in names:
            if name not in combination:
                combination[name] = max(
                    factors[name],
                    key=lambda value: (
                        len(uncovered & _tuples(combination | {name: value}, names, strength)),
                        -factors[name].index(value),
                    ),
                )
        combinations.append({name: combination[name] for name in names})
        uncovered -= _tuples(combination, names, strength)
    return combinations


def _tuples(combination: Combination, names: Iterable[str], strength: int) -> set[Tuple]:
    present = [name for name in names if name in combination]
    groups = itertools.combinations(present, strength)
    return {tuple((name, combination[name]) for name in group) for group in groups}


def label(combination: Combination) -> str:
    """A test id naming the combination: its values, in prompt order."""
    return "-".join(combination.values())


def growth() -> str:
    """How the covering matrix grows as options are added, beside the full product.

    `python -m tests.combinations` prints it as the Markdown table in the README.
    """
    factors = prompts()
    rows = [("as released", factors)]
    rows.append(("+1 serving value", factors | {"serving": [*factors["serving"], "new"]}))
    rows.append(("+1 prompt of 3 values", factors | {"new_prompt": ["a", "b", "c"]}))
    rows.append(("+1 prompt of 6 values", factors | {"new_prompt": [str(n) for n in range(6)]}))
    lines = ["| options | prompts | pairwise bakes | full product |", "|---|---:|---:|---:|"]
    for name, grown in rows:
        product = math.prod(len(values) for values in grown.values())
        lines.append(f"| {name} | {len(grown)} | {len(covering(grown))} | {product:,} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(growth())
