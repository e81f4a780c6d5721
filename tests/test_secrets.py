"""Secret scanning of real OCI images: every layer (also deleted files), the image config, the per-layer cache,
and the `seawall scan` command line."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from seawall.image.open import open_source
from seawall.image.options import FetchOptions
from seawall.inventory.build import InventoryStats, build_inventory
from seawall.model.extra import SecretFinding
from seawall.scan import scan_target
from seawall.secrets import SecretAnalyzer, load_rules, secret_findings
from tests.imagebuild import File, Whiteout, build_oci_layout

RNG = random.Random(11)


def rand(n: int) -> str:
    return "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(n))


@pytest.fixture(scope="module")
def key_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def token() -> str:
    return f"ghp_{rand(36)}"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory, key_pem: bytes, token: str) -> Path:
    doc_key = key_pem.replace(b"EC PRIVATE", b"RSA PRIVATE")
    return build_oci_layout(
        tmp_path_factory.mktemp("secrets") / "img",
        layers=[
            {"/etc/os-release": b"ID=debian\nVERSION_ID=12\n",
             "/usr/share/doc/libfoo/examples/key.pem": doc_key,  # package documentation: skipped
             "/usr/bin/tool": File(b"\x7fELF\0\0\0" + b"password=" + rand(20).encode(), mode=0o755)},
            {"/app/deploy/id_ec": File(key_pem, mode=0o600), "/app/README.txt": b"nothing to see\n"},
            {"/app/deploy/id_ec": Whiteout()},
            {"/app/run.sh": File(b"#!/bin/sh\nexec app\n", mode=0o755)},
        ],
        config={"Env": ["PATH=/usr/bin", f"GITHUB_TOKEN={token}"], "User": "app"},
        history=["ADD rootfs.tar /", "COPY deploy /app/deploy", "RUN rm /app/deploy/id_ec", "COPY run.sh /app/"],
    )


def findings_of(layout: Path, cache: Path, **kw: object) -> tuple[list[SecretFinding], InventoryStats]:
    analyzer = SecretAnalyzer(load_rules())
    stats = InventoryStats()
    with open_source(f"oci:{layout}:latest", fetch=FetchOptions(cache_dir=cache)) as source:
        inventory = build_inventory(source, analyzers=[analyzer], cache_dir=cache, stats=stats, **kw)
    return secret_findings(inventory, analyzer), stats


def test_key_deleted_by_a_later_layer_is_found_and_marked(image: Path, tmp_path: Path) -> None:
    found, _ = findings_of(image, tmp_path / "cache")
    keys = [f for f in found if f.rule_id == "private-key"]
    assert len(keys) == 1
    key = keys[0]
    assert (key.path, key.layer_index, key.deleted_in_layer, key.line) == ("/app/deploy/id_ec", 1, 2, 2)
    assert key.created_by == "COPY deploy /app/deploy" and key.layer_diff_id.startswith("sha256:")
    assert key.severity.value == "critical"


def test_token_in_env_is_found_in_the_config(image: Path, tmp_path: Path, token: str) -> None:
    found, _ = findings_of(image, tmp_path / "cache")
    env = [f for f in found if f.in_config]
    assert [(f.rule_id, f.path, f.line) for f in env] == [("github-token", "config:Env", 2)]
    assert token not in env[0].match and env[0].match.startswith("ghp_"[:4])


def test_documentation_and_binaries_are_not_reported(image: Path, tmp_path: Path) -> None:
    found, _ = findings_of(image, tmp_path / "cache")
    assert {f.path for f in found} == {"/app/deploy/id_ec", "config:Env"}


def test_second_scan_reads_no_layer_and_secrets_never_reach_the_cache(image: Path, tmp_path: Path, key_pem: bytes,
                                                                      token: str) -> None:
    cache = tmp_path / "cache"
    cold, first = findings_of(image, cache)
    warm, second = findings_of(image, cache)
    assert warm == cold and first.layers_read == 4 and second.layers_read == 0
    body = key_pem.decode().splitlines()[1]
    for path in cache.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert body.encode() not in data and token.encode() not in data, path


def test_custom_rules_change_the_cache_key_and_allow_paths_drop_findings(image: Path, tmp_path: Path) -> None:
    config = tmp_path / "secrets.yaml"
    config.write_text("allow:\n  paths: ['/app/deploy/*']\n")
    report = scan_target(f"oci:{image}:latest", scanners=("secret",), secret_config=config,
                         fetch=FetchOptions(cache_dir=tmp_path / "cache"))
    assert [f.path for f in report.secrets] == ["config:Env"]
    assert report.findings == () and report.config is None  # only what was asked for


def run_cli(*args: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(env_home / "cache")}
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_cli_scanners_option_and_exit_code(image: Path, tmp_path: Path) -> None:
    done = run_cli("scan", f"oci:{image}:latest", "--scanners", "secret", "--format", "json", "--exit-code", "9",
                   "--severity", "critical", env_home=tmp_path)
    assert done.returncode == 9, done.stderr
    json.loads(done.stdout)
    quiet = run_cli("scan", f"oci:{image}:latest", "--scanners", "secret", "--format", "json", "--exit-code", "9",
                    "--severity", "low", env_home=tmp_path)
    assert quiet.returncode == 0, quiet.stderr


def test_cli_rejects_an_unknown_scanner(image: Path, tmp_path: Path) -> None:
    done = run_cli("scan", f"oci:{image}:latest", "--scanners", "vuln,malware", env_home=tmp_path)
    assert done.returncode == 2 and "malware" in done.stderr


def test_reports_carry_secrets_config_and_minimality_but_never_the_secret(image: Path, tmp_path: Path,
                                                                          key_pem: bytes, token: str) -> None:
    from seawall.output.scan import render_scan

    report = scan_target(f"oci:{image}:latest", scanners=("secret", "config"),
                         fetch=FetchOptions(cache_dir=tmp_path / "cache"))
    body = key_pem.decode().splitlines()[1]
    outputs = {fmt: render_scan(report, fmt) for fmt in ("json", "sarif", "table")}
    for text in outputs.values():
        assert token not in text and body not in text
    document = json.loads(outputs["json"])
    assert [(s["rule_id"], s["deleted"]) for s in document["secrets"]] == [("private-key", True),
                                                                          ("github-token", False)]
    assert {c["id"] for c in document["config"]} >= {"no-healthcheck"}
    assert document["minimality"]["has_shell"] is False
    run = json.loads(outputs["sarif"])["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "secret/private-key" in rule_ids and "config/no-healthcheck" in rule_ids
    key_result = next(r for r in run["results"] if r["ruleId"] == "secret/private-key")
    assert key_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/deploy/id_ec"
    assert rule_ids[key_result["ruleIndex"]] == "secret/private-key"
    assert "Secrets: 2" in outputs["table"] and "deleted in layer 2" in outputs["table"]


def test_build_arg_in_history_is_found_and_kept_out_of_the_json_report(tmp_path: Path) -> None:
    from seawall.output.scan import render_scan

    npm = f"npm_{rand(36)}"
    layout = build_oci_layout(tmp_path / "img", layers=[{"/etc/os-release": b"ID=debian\n"}, {"/app/x": b"1\n"}],
                              history=["ADD rootfs.tar /", f"RUN |1 NPM_TOKEN={npm} /bin/sh -c npm publish"])
    report = scan_target(f"oci:{layout}:latest", scanners=("secret",), fetch=FetchOptions(cache_dir=tmp_path / "cache"))
    assert [(f.rule_id, f.path, f.line) for f in report.secrets] == [("npm-token", "config:history", 2)]
    text = render_scan(report, "json")
    assert npm not in text and "<redacted: npm-token>" in text
