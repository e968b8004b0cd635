"""The README documents what --help offers (docs that drift from --help mislead a new user)."""

from pathlib import Path

import click
import pytest

from sheetsync.cli import main
from sheetsync.config import Config, Rules

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_in_the_readme(name):
    assert f"sheetsync {name}" in README


@pytest.mark.parametrize(
    "option",
    sorted(
        opt
        for command in main.commands.values()
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--")
    ),
)
def test_every_option_is_in_the_readme(option):
    assert option in README


@pytest.mark.parametrize(
    "key", sorted(f.name for f in Config.__dataclass_fields__.values() if f.name != "rules")
)
def test_every_config_key_is_in_the_readme(key):
    assert f"`{key}`" in README or f"[{key}]" in README or f"[[{key}]]" in README


@pytest.mark.parametrize("key", sorted(Rules.__dataclass_fields__))
def test_every_rule_number_is_in_the_readme(key):
    assert key in README
