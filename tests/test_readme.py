"""README promises that must stay true: the two set-up commands, the test
command CI runs, and the JSON example matching the shipped schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from derive.report import schema

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
)


def _shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def test_readme_has_the_install_and_run_command_and_the_test_command() -> None:
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [block.strip() for block in re.findall(r"```sh\n(.*?)```", setup, re.S)]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/python -m derive check",
        TEST_COMMAND,
    ]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in ci


def test_the_json_example_in_readme_matches_the_schema() -> None:
    section = README.split("## JSON format", 1)[1]
    example = re.search(r"```json\n(.*?)```", section, re.S)
    assert example is not None
    jsonschema.Draft202012Validator(schema()).validate(json.loads(example.group(1)))


def test_the_context_example_in_readme_is_a_valid_context() -> None:
    import yaml

    from derive.context import parse_context

    block = re.search(r"```yaml\n(derive:.*?)```", README, re.S)
    assert block is not None
    spec = parse_context(yaml.safe_load(block.group(1))["derive"], "README")
    assert spec.symbols and spec.sizes and spec.indices and spec.define
