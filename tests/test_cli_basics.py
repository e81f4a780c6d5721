"""The command line a user first meets: help, version, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_a_usage_error_is_one_line_and_the_usage() -> None:
    result = run("sbom")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: missing argument 'IMAGE' — try `seawall sbom --help`",
                                          "usage: seawall sbom [OPTIONS] IMAGE"]
    bad = run("scan", "--format", "yaml", "img")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 2
    assert bad.stderr.startswith("error: invalid value for '--format': 'yaml' is not one of")


def test_a_bare_layout_path_gets_the_oci_prefix(tmp_path: Path) -> None:
    from tests.imagebuild import build_oci_layout, oci_to_docker_archive

    layout = build_oci_layout(tmp_path / "layout", [{"/etc/os-release": b"ID=debian\n"}])
    result = run("sbom", str(layout))
    assert result.returncode == 3
    assert result.stderr.strip() == (f"error: {layout} is a local OCI image layout, not a registry image name — try "
                                     f"`oci:{layout}`")
    archive = oci_to_docker_archive(layout, tmp_path / "app.tar") or tmp_path / "app.tar"
    tarball = run("sbom", str(archive))
    assert f"try `docker-archive:{archive}`" in tarball.stderr and tarball.returncode == 3
    typo = run("sbom", f"ocii:{layout}")
    assert typo.returncode == 3
    assert f"unknown transport 'ocii:' in 'ocii:{layout}' — try `oci:{layout}`, or one of the known transports: " \
           "oci:, oci-archive:, docker-archive:, dir:, sbom:" in typo.stderr
    missing = run("sbom", str(tmp_path / "nothing.tar"))
    assert missing.returncode == 3 and "does not exist" in missing.stderr
