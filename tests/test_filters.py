"""The local Jinja extension: user text quoted so TOML, YAML, JSON and Python all read it back exactly."""

import ast
import json
import tomllib

import pytest
import yaml

from rs_template_filters import quoted

AWKWARD = [
    "plain",
    "O'Brien",
    'say "hi"',
    "back\\slash",
    "tab\there",
    "café Zürich",
    "東京の顧客",
    "rocket 🚀 emoji",
    "{{ 7*7 }} {% raw %}",
    "key: value # not a comment",
    "[section] = 'x'",
    "",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_quoted_reads_back_exactly_in_every_format(text: str) -> None:
    literal = quoted(text)

    assert tomllib.loads(f"value = {literal}")["value"] == text
    assert yaml.safe_load(f"value: {literal}")["value"] == text
    assert json.loads(literal) == text
    assert ast.literal_eval(literal) == text


def test_quoted_keeps_characters_as_typed_rather_than_escaping_them() -> None:
    assert quoted("🚀 café") == '"🚀 café"'
