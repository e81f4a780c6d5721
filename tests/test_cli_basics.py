"""The command line a user first meets: help, version, one-line errors."""

from __future__ import annotations

import subprocess
import sys

from seawall import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, timeout=60)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "Usage: seawall" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
