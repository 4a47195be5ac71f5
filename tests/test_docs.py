"""The README documents every CLI command and every setting (and nothing that does not exist)."""

import re
from pathlib import Path

import typer.main

from yrdplan.cli.main import app
from yrdplan.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The README links to one page per area under docs/; commands are documented in either.
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def _commands(group, prefix=""):
    click_group = typer.main.get_command(group) if not hasattr(group, "commands") else group
    for name, command in click_group.commands.items():
        path = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield path


def test_every_cli_command_is_documented():
    commands = sorted(_commands(app))
    assert len(commands) >= 10
    missing = [c for c in commands if f"`yrdplan {c}" not in DOCS]
    assert missing == []


def test_every_setting_is_documented():
    documented = set(
        re.findall(r"^\| `(\w+)` \|", README.split("## Settings", 1)[1].split("\n## ", 1)[0], re.M)
    )
    assert documented == set(Settings.model_fields)


def test_quick_start_has_exactly_the_two_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in block.strip().splitlines()] == [
        ["make", "run"],
        ["make", "test"],
    ]


def test_every_docs_page_is_linked_from_the_readme():
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in README, page.name
