"""The baseline across promotions, between two real registries: the first promotion of a repository, a baseline
made from what production runs, an allowlisted finding whose entry expires, and a finding no one rated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawall.cli.main import main
from seawall.image.registry.client import RegistryClient, RegistryOptions
from seawall.image.registry.push import push_oci_layout
from seawall.policy.baseline import load_baseline
from seawall.policy.baseline_registry import fetch_baseline_with
from seawall.policy.gate import GateInputs
from seawall.policy.promote import promote
from tests.fixtures.registry import RegistryServer
from tests.promote_helpers import dpkg_status, login, manifest_status, rootfs_files, single_image, tags
from tests.triage_helpers import build_debian_db

pytestmark = pytest.mark.registry
NEW_ONLY = "rules:\n  - severity: {at_least: medium, new_only: true}\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")


@pytest.fixture()
def new_only(tmp_path: Path) -> Path:
    path = tmp_path / "new-only.yaml"
    path.write_text(NEW_ONLY)
    return path


def push(server: RegistryServer, ref: str, packages: set[str] | None, tmp_path: Path) -> str:
    image = single_image(rootfs_files(dpkg_status(packages)))
    with RegistryClient() as client:
        return push_oci_layout(client, image.write_layout(tmp_path / ref.replace("/", "_")), ref)


def run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0)


def test_first_promotion_needs_allow_no_baseline(registry: RegistryServer, auth_registry: RegistryServer, db: Path,
                                                 new_only: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    login(auth_registry)
    source = f"{registry.host}/build/first:1"
    push(registry, source, {"zlib1g", "login"}, tmp_path)  # shadow's CVE-2023-4641 is low: nothing blocks
    destination = f"{auth_registry.host}/prod/first:1"
    common = ["--policy", str(new_only), "--db", str(db), "--skip-db-update"]
    assert run(["promote", source, destination, *common]) == 8
    out = capsys.readouterr().out
    assert "has no published baseline" in out and "nothing was promoted" in out
    assert tags(auth_registry, "prod/first") == []
    assert run(["promote", source, destination, *common, "--allow-no-baseline"]) == 0
    assert "promoted" in capsys.readouterr().out
    assert set(tags(auth_registry, "prod/first")) >= {"1", "seawall-baseline"}
    assert run(["baseline", "show", f"{auth_registry.host}/prod/first", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["repository"] == f"{auth_registry.host}/prod/first"
    assert shown["entries"] == [{"ids": ["CVE-2023-4641"], "source": "shadow", "admitted": {"by": "unsuppressed"}}]
    # Once promoted, the flag is not needed any more.
    assert run(["promote", source, destination, *common]) == 0


def test_baseline_created_from_what_production_runs(registry: RegistryServer, auth_registry: RegistryServer,
                                                    db: Path, new_only: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    login(auth_registry)
    # Production ran this image before seawall did: glibc's high CVE-2023-4911 and curl's CVE-2024-2398 with it.
    running = f"{auth_registry.host}/prod/legacy:2024"
    digest = push(auth_registry, running, None, tmp_path)
    out_file = tmp_path / "baseline.json"
    assert run(["baseline", "create", running, "--publish", f"{auth_registry.host}/prod/legacy", "-o",
                str(out_file), "--db", str(db), "--skip-db-update"]) == 0
    assert f"published {auth_registry.host}/prod/legacy:seawall-baseline@sha256:" in capsys.readouterr().out
    written = load_baseline(out_file)
    assert written.image_digest == digest and written.repository == f"{auth_registry.host}/prod/legacy"
    assert {"CVE-2023-4911", "CVE-2024-2398"} <= {i for e in written.entries for i in e.ids}
    published = fetch_baseline_with(RegistryOptions(), f"{auth_registry.host}/prod/legacy")
    assert published is not None and published.entries == written.entries
    assert run(["baseline", "show", f"{auth_registry.host}/prod/legacy"]) == 0
    table = capsys.readouterr().out
    assert f"image {digest}" in table and "CVE-2023-4911" in table and "unsuppressed" in table
    # The same software rebuilt passes the new-only gate: nothing in it is new to production.
    source = f"{registry.host}/build/legacy:2"
    push(registry, source, None, tmp_path)
    result = promote(source, f"{auth_registry.host}/prod/legacy:2", GateInputs(policy=new_only, db=db,
                                                                              auto_update=False))
    assert result.verdict.decision == "pass", result.verdict
    assert result.verdict.baseline and "prod/legacy@sha256:" in result.verdict.baseline


def test_baseline_show_of_a_repository_without_one(auth_registry: RegistryServer,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    login(auth_registry)
    assert run(["baseline", "show", f"{auth_registry.host}/prod/never"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "prod/never has no published baseline" in err


ALLOW = """\
entries:
  - id: CVE-2023-4911
    source: glibc
    expires: 2026-12-31
    justification: vulnerable_code_not_in_execute_path
    statement: No setuid binaries in the image; the tunables never reach a privileged ld.so.
  - id: CVE-2024-2398
    source: curl
    expires: 2099-01-01
    justification: vulnerable_code_not_in_execute_path
    statement: The service never uses HTTP/2 server push, the only path to the leak.
  - id: CVE-2024-2236
    source: libgcrypt20
    expires: 2099-01-01
    justification: vulnerable_code_not_in_execute_path
    statement: RSA decryption with libgcrypt is never used by any service in this image.
  - id: CVE-2023-31484
    source: perl
    expires: 2099-01-01
    justification: vulnerable_code_not_in_execute_path
    statement: CPAN is never run inside the image; perl only runs maintainer scripts.
"""


def test_an_expired_allowlist_entry_makes_its_finding_new_again(registry: RegistryServer,
                                                                auth_registry: RegistryServer, db: Path,
                                                                new_only: Path, tmp_path: Path) -> None:
    login(auth_registry)
    allow = tmp_path / "allow.yaml"
    allow.write_text(ALLOW)
    source = f"{registry.host}/build/expiry:1"
    push(registry, source, None, tmp_path)
    destination = f"{auth_registry.host}/prod/expiry:1"
    before = datetime(2026, 6, 1, tzinfo=UTC)
    first = promote(source, destination, GateInputs(policy=new_only, allowlists=[allow], db=db, auto_update=False,
                                                    allow_no_baseline=True, now=before))
    assert first.verdict.decision == "pass", first.verdict
    published = fetch_baseline_with(RegistryOptions(), destination)
    assert published is not None
    glibc = next(e for e in published.entries if "CVE-2023-4911" in e.ids)
    assert (glibc.admitted.by, glibc.admitted.rule, glibc.admitted.until) == ("allowlist", f"{allow}:2",
                                                                              "2026-12-31")
    # While the entry holds, promoting again passes.
    again = promote(source, destination, GateInputs(policy=new_only, allowlists=[allow], db=db, auto_update=False,
                                                    now=datetime(2026, 12, 31, tzinfo=UTC)))
    assert again.verdict.decision == "pass", again.verdict
    # After it expires the finding is new again, though the baseline holds it: the promotion fails naming it.
    after = promote(source, f"{auth_registry.host}/prod/expiry:2",
                    GateInputs(policy=new_only, allowlists=[allow], db=db, auto_update=False,
                               now=datetime(2027, 1, 2, tzinfo=UTC)))
    assert after.verdict.decision == "fail" and after.digest is None
    assert {v.finding_id for v in after.verdict.violations} == {"CVE-2023-4911"}
    assert any(f"entered the baseline suppressed by allowlist entry {allow}:2 until 2026-12-31" in n
               for n in after.verdict.notes), after.verdict.notes
    assert manifest_status(auth_registry, "prod/expiry", "2") == 404
    # Removing the entry instead of letting it expire has the same effect.
    trimmed = tmp_path / "trimmed.yaml"
    trimmed.write_text(ALLOW.replace("  - id: CVE-2023-4911\n", "  - id: CVE-1999-0001\n"))
    removed = promote(source, f"{auth_registry.host}/prod/expiry:3",
                      GateInputs(policy=new_only, allowlists=[trimmed], db=db, auto_update=False, now=before))
    assert removed.verdict.decision == "fail"
    assert {v.finding_id for v in removed.verdict.violations} == {"CVE-2023-4911"}


def test_an_unrated_new_vulnerability_is_not_promoted_under_a_severity_policy(
        registry: RegistryServer, auth_registry: RegistryServer, db: Path, tmp_path: Path) -> None:
    login(auth_registry)
    # libgcrypt20's CVE-2024-2236 is affected and rated by no one: neither Debian nor any CVSS score.
    source = f"{registry.host}/build/unrated:1"
    push(registry, source, {"libgcrypt20"}, tmp_path)
    policy = tmp_path / "high.yaml"
    policy.write_text("rules:\n  - severity: {at_least: high}\n")
    result = promote(source, f"{auth_registry.host}/prod/unrated:1",
                     GateInputs(policy=policy, db=db, auto_update=False, allow_no_baseline=True))
    assert result.verdict.decision != "pass" and result.digest is None
    assert "CVE-2024-2236" in {v.finding_id for v in result.verdict.violations}
    assert tags(auth_registry, "prod/unrated") == []
