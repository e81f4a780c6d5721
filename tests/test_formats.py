"""One name per format on every command: the canonical names in --help, the other spellings accepted everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from seawall.cli.main import cli
from seawall.formats import ALIASES, SBOM_FORMATS, SCAN_FORMATS, Format

ROOTFS = Path(__file__).parent / "assets" / "rootfs" / "debian-bookworm"

COMMANDS = {
    ("scan",): SCAN_FORMATS,
    ("sbom",): SBOM_FORMATS,
    ("gate",): (Format.TABLE, Format.JSON, Format.MARKDOWN),
    ("promote",): (Format.TABLE, Format.JSON, Format.MARKDOWN),
    ("compare",): (Format.TABLE, Format.MARKDOWN, Format.JSON),
    ("fleet", "report"): (Format.HTML, Format.MARKDOWN, Format.CSV, Format.JSON),
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def format_param(path: tuple[str, ...]) -> click.Parameter:
    command: click.Command | None = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    (param,) = [p for p in command.params if p.name == "fmt"]
    return param


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_every_command_takes_every_spelling_of_its_formats(path: tuple[str, ...]) -> None:
    param = format_param(path)
    for fmt in COMMANDS[path]:
        assert param.type.convert(fmt.value, param, None) is fmt
    for alias, fmt in ALIASES.items():
        if fmt in COMMANDS[path]:
            assert param.type.convert(alias, param, None) is fmt
            assert param.type.convert(alias.upper(), param, None) is fmt


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_help_shows_only_the_canonical_names(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.returncode == 0
    shown = "[" + "|".join(f.value for f in COMMANDS[path]) + "]"
    assert shown in " ".join(result.stdout.split())
    for alias in ALIASES:
        assert f"|{alias}" not in result.stdout and f"[{alias}" not in result.stdout


def test_a_format_a_command_does_not_write_is_a_usage_error() -> None:
    result = run("gate", "img", "--policy", "p.yaml", "--format", "cyclonedx-json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "cyclonedx-json" in result.stderr


@pytest.mark.skipif(not ROOTFS.is_dir(), reason="root filesystem asset missing")
def test_sbom_writes_the_same_document_under_either_name(tmp_path: Path) -> None:
    outputs = {}
    for name in ("cyclonedx", "cyclonedx-json", "spdx", "spdx-json"):
        out = tmp_path / f"{name}.json"
        result = run("--cache-dir", str(tmp_path / "cache"), "sbom", f"dir:{ROOTFS}", "--format", name, "-o", str(out))
        assert result.returncode == 0, result.stderr
        outputs[name] = json.loads(out.read_text())
    for doc in outputs.values():  # the timestamps and ids differ run to run
        doc.pop("serialNumber", None), doc.pop("metadata", None), doc.pop("creationInfo", None)
        doc.pop("documentNamespace", None)
    assert outputs["cyclonedx"] == outputs["cyclonedx-json"] and outputs["cyclonedx"]["bomFormat"] == "CycloneDX"
    def spdx_packages(doc: dict) -> list[tuple[str, str]]:  # SPDX ids are fresh per document
        return sorted((p["name"], p.get("versionInfo", "")) for p in doc["packages"])

    spdx, spdx_json = outputs["spdx"], outputs["spdx-json"]
    assert spdx["spdxVersion"].startswith("SPDX-2") and spdx_json["spdxVersion"] == spdx["spdxVersion"]
    assert spdx_packages(spdx) == spdx_packages(spdx_json) and len(spdx["packages"]) > 3


@pytest.mark.parametrize("path", [("scan",), ("sbom",)], ids=" ".join)
def test_help_says_what_cyclonedx_and_spdx_mean(path: tuple[str, ...]) -> None:
    text = " ".join(run(*path, "--help").stdout.split())
    assert "spdx is SPDX 2.3 JSON" in text and "cyclonedx is CycloneDX 1.6 JSON" in text
    assert "spdx-json for spdx" in text and "cyclonedx-json for cyclonedx" in text


@pytest.mark.skipif(not ROOTFS.is_dir(), reason="root filesystem asset missing")
def test_scan_writes_cyclonedx_under_its_json_name(tmp_path: Path) -> None:
    result = run("--cache-dir", str(tmp_path / "cache"), "scan", f"dir:{ROOTFS}", "--scanners", "secret,config",
                 "--format", "cyclonedx-json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["bomFormat"] == "CycloneDX"
