"""Text from an image (paths, os-release names, config values, history) is shown as written in every table: never
read as rich markup, which a crafted name could use to hide text or to make the report fail, and never passed to
the terminal as control characters (escape sequences, bidirectional overrides), which are written as escapes."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from tests.imagebuild import build_oci_layout

PRETTY = "[bold]Evil[/bold] :cat: Linux [/oops]"
SECRET_DIR = "/srv/[/oops]/[red]x[/red]"
ENV = "MARK=[/x] :warning: [link=https://example.org]here[/link]"
STEP = "RUN echo [red]hidden[/red] [/x]"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, timeout=120)


def hostile_layout(tmp_path: Path) -> Path:
    token = "ghp_" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                             for _ in range(36))
    os_release = f'PRETTY_NAME="{PRETTY}"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
    return build_oci_layout(tmp_path / "img", [
        {"etc/os-release": os_release.encode()},
        {f"{SECRET_DIR.lstrip('/')}/.env": f"GITHUB_TOKEN={token}\n".encode()},
    ], config={"Env": [ENV]}, history=["ADD rootfs /", STEP])


def test_scan_table_shows_image_text_verbatim(tmp_path: Path) -> None:
    layout = hostile_layout(tmp_path)
    result = run("scan", f"oci:{layout}", "--scanners", "secret,config", "--format", "table")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = "".join(result.stdout.split())  # the table may wrap a long path: compare without the blanks
    assert "".join(f"{SECRET_DIR}/.env".split()) in text
    assert "".join(PRETTY.split()) in text


def test_sbom_and_inspect_tables_show_image_text_verbatim(tmp_path: Path) -> None:
    layout = hostile_layout(tmp_path)
    sbom = run("sbom", f"oci:{layout}", "--format", "table")
    assert sbom.returncode == 0, sbom.stderr
    assert "".join(PRETTY.split()) in "".join(sbom.stdout.split())
    inspected = run("inspect", f"oci:{layout}")
    assert inspected.returncode == 0, inspected.stderr
    flat = "".join(inspected.stdout.split())
    assert "".join(ENV.split()) in flat and "".join(STEP.split()) in flat


def test_the_gate_table_shows_a_violation_verbatim() -> None:
    from seawall.model.policy import Decision, Verdict, Violation
    from seawall.policy.render import render_table

    message = f"github-token found in {SECRET_DIR}/.env (layer 1)"
    verdict = Verdict(Decision.FAIL, "img", "policy.yaml", violations=(Violation("no-secrets", message, "remove it"),))
    assert message in render_table(verdict, width=200)


CONTROL_NAME = "\x1b]0;pwned\x07 \x1b[31mred\u202egnp.exe"


def test_control_characters_from_the_image_are_written_as_escapes(tmp_path: Path) -> None:
    os_release = f'PRETTY_NAME="{CONTROL_NAME}"\nID=debian\nVERSION_ID="12"\n'.encode()
    layout = build_oci_layout(tmp_path / "img", [
        {"etc/os-release": os_release},
        {f"srv/{CONTROL_NAME.replace('/', '_')}/.env": f"GITHUB_TOKEN=ghp_{'a1B2' * 9}\n".encode()},
    ], config={"Env": [f"MARK={CONTROL_NAME}"]}, history=["ADD rootfs /", f"RUN echo {CONTROL_NAME}"])
    outputs = [run("scan", f"oci:{layout}", "--scanners", "secret,config", "--format", "table"),
               run("scan", f"oci:{layout}", "--scanners", "secret,config", "--format", "markdown"),
               run("sbom", f"oci:{layout}", "--format", "table"), run("inspect", f"oci:{layout}")]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x07" not in result.stdout
        assert "\\x1b]0;pwned" in "".join(result.stdout.split())


def test_a_one_line_error_quoting_image_text_writes_its_control_characters_as_escapes(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [{"etc/hostname": b"x\n"}], tag="v1\x1b[31mred")
    result = run("sbom", f"oci:{layout}:missing", "--format", "table")
    assert result.returncode == 3
    assert "\x1b" not in result.stderr and "v1\\x1b[31mred" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_coloured_tables_keep_their_styles_and_escape_the_image_s_own_sequences() -> None:
    import dataclasses

    from seawall.output.scan import ScanView
    from seawall.output.scan_redact import redacted
    from seawall.output.scan_table import render_table
    from tests.scan_fixtures import debian_scan

    report = redacted(debian_scan())
    secret = dataclasses.replace(report.secrets[0], path="/app/\x1b[31mred\x1b[0m/key")
    coloured = render_table(dataclasses.replace(report, secrets=(secret, *report.secrets[1:])), ScanView(),
                            width=120, color=True)
    assert "\x1b[31mred" not in coloured and "\\x1b[31mred" in coloured
    assert "\x1b[1m" in coloured  # rich's own bold headings are still there
