"""The README is where a newcomer starts: its command table names every command and subcommand, and it points to
every page under docs/."""

from __future__ import annotations

import re
from pathlib import Path

import click

from seawall.cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command_table() -> str:
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `seawall "))


def test_the_command_table_names_every_command_and_subcommand() -> None:
    table = _command_table()
    ctx = click.Context(cli)
    for name in COMMANDS:
        row = next((line for line in table.splitlines() if line.startswith(f"| `seawall {name}")), None)
        assert row is not None, f"README's command table has no row for `seawall {name}`"
        command = cli.get_command(ctx, name)
        if isinstance(command, click.Group):
            listed = set(re.match(rf"\| `seawall {name} ([^` ]+)", row).group(1).split("\\|"))  # type: ignore[union-attr]
            assert set(command.list_commands(ctx)) <= listed, (name, listed)


def test_the_readme_links_every_docs_page() -> None:
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*") if p.is_file())
    assert pages
    missing = [page for page in pages if page not in README]
    assert not missing, missing


def test_the_readme_states_what_first_use_costs_and_how_to_work_offline() -> None:
    assert "### Offline and air-gapped" in README
    assert "seawall db feeds" in README and "seawall db export" in README and "seawall db import" in README
    first_use = README.split("**First use, how long and how big.**", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"\d+ MB", first_use) and re.search(r"\d+ s\b|minutes", first_use)
    assert "--scanners" in README and "--include-distro-defaults" in README
