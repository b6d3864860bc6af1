"""Which combinations of answers the tests bake: generated from options.toml, never listed by hand.

Baking every combination of every prompt would mean hundreds of thousands of projects. A covering array
bakes each value of every prompt at least once and every pair of values of two different prompts together at
least once: most interaction bugs involve two options, and the number of combinations grows with the
product of the two largest choice lists, not with the product of all of them.
"""

import itertools
import math
import tomllib
from collections.abc import Iterable
from pathlib import Path

from .conftest import TEMPLATE

Combination = dict[str, str]
# Values of ``strength`` different prompts: ((prompt, value), (prompt, value), ...).
Tuple = tuple[tuple[str, str], ...]


def registry(template: Path = TEMPLATE) -> dict[str, dict]:
    """The template's options.toml: each prompt with a fixed set of values, in the order asked."""
    return tomllib.loads((template / "options.toml").read_text(encoding="utf-8"))


def prompts(template: Path = TEMPLATE) -> dict[str, list[str]]:
    """Every prompt with a fixed set of values and its values, read from the registry.

    Adding a value there (and its folder under ``_stack/``) is all the covering matrix needs to bake it.
    """
    return {name: list(choice["values"]) for name, choice in registry(template).items()}


def stack_prompts(template: Path = TEMPLATE) -> tuple[str, ...]:
    """The prompts whose answer picks files and code, not just text: the runtime tier covers these."""
    return tuple(name for name, choice in registry(template).items() if choice["kind"] == "stack")


STACK_PROMPTS = stack_prompts()
STACK = {name: values for name, values in prompts().items() if name in STACK_PROMPTS}


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
