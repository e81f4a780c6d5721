"""The baseline travels with the production repository: `seawall promote` publishes it under
`<repository>:seawall-baseline`, and `seawall gate --baseline-from REPOSITORY` on a machine with an empty cache
judges a new build against it — known findings pass, a new vulnerable package fails, no baseline is undecided."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from seawall.cli.main import main
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_oci_layout
from seawall.policy.baseline import local_baseline_path
from seawall.policy.baseline_registry import BASELINE_TAG, BASELINE_TYPE, baseline_tag_ref
from seawall.policy.gate import GateInputs
from seawall.policy.promote import promote
from tests.fixtures.registry import OCI_MANIFEST, PASSWORD, USER, RegistryServer, TestImage, make_layer
from tests.triage_helpers import ROOTFS, build_debian_db

pytestmark = pytest.mark.registry

STATUS = "var/lib/dpkg/status"
NEW_ONLY = "defaults: {new_only: true}\nrules:\n  - severity: {at_least: low}\n"


def rootfs_image(marker: str, without: frozenset[str] = frozenset()) -> TestImage:
    """The Debian rootfs the tracker excerpt knows as one layer, minus the dpkg stanzas of `without`."""
    files = {str(p.relative_to(ROOTFS)): p.read_bytes() for p in ROOTFS.rglob("*") if p.is_file()}
    stanzas = files[STATUS].decode().strip().split("\n\n")
    kept = [s for s in stanzas if s.split("\n", 1)[0].removeprefix("Package: ").strip() not in without]
    files[STATUS] = ("\n\n".join(kept) + "\n").encode()
    files["app/build.txt"] = marker.encode()  # every build is a different image
    layer, diff_id = make_layer(files)
    image = TestImage()
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-05-01T00:00:00Z",
                         "config": {"User": "1000"}, "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    image.top = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **image.add(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **image.add(layer)}],
    }).encode()
    image.manifests[image.digest] = image.top
    return image


def push(image: TestImage, ref: str, tmp_path: Path) -> str:
    with RegistryClient() as client:
        push_oci_layout(client, image.write_layout(tmp_path / ref.rsplit(":", 1)[1]), ref)
    return ref


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")


@pytest.fixture()
def production_login(auth_registry: RegistryServer) -> None:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {auth_registry.host: {"auth": token}}}))


def gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    with pytest.raises(SystemExit) as info:
        main(["gate", *args, "--format", "json"])
    return int(info.value.code or 0), json.loads(capsys.readouterr().out)


def test_gate_on_a_fresh_machine_reads_the_published_baseline(
        registry: RegistryServer, auth_registry: RegistryServer, db: Path, production_login: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    production = f"{auth_registry.host}/prod/app-fresh"
    released = push(rootfs_image("release 1", without=frozenset({"curl", "libcurl4"})),
                    f"{registry.host}/build/app:r1", tmp_path)
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("rules:\n  - severity: {at_least: critical, unknown: ignore}\n")
    result = promote(released, f"{production}:1", GateInputs(policy=lenient, db=db, auto_update=False))
    assert result.verdict.decision == "pass", result.verdict
    with RegistryClient() as client:
        artifact = client.get_manifest(baseline_tag_ref(production), accept=OCI_MANIFEST)
    assert artifact.digest == result.baseline_artifact
    assert artifact.doc["artifactType"] == BASELINE_TYPE and "subject" not in artifact.doc
    assert [layer["mediaType"] for layer in artifact.doc["layers"]] == [BASELINE_TYPE]

    fresh = tmp_path / "fresh-cache"
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(fresh))
    assert not local_baseline_path(parse_reference(production).name).exists()
    policy = tmp_path / "new-only.yaml"
    policy.write_text(NEW_ONLY)
    common = ("--policy", str(policy), "--db", str(db), "--skip-db-update")

    same = push(rootfs_image("release 2", without=frozenset({"curl", "libcurl4"})),
                f"{registry.host}/build/app:r2", tmp_path)
    code, verdict = gate(capsys, same, *common)
    assert code == 1  # without the production baseline every finding is new
    code, verdict = gate(capsys, same, *common, "--baseline-from", production)
    assert code == 0, verdict
    assert verdict["baseline"] == f"{parse_reference(production).name}@{artifact.digest}"

    with_curl = push(rootfs_image("release 3"), f"{registry.host}/build/app:r3", tmp_path)
    code, verdict = gate(capsys, with_curl, *common, "--baseline-from", production)
    assert code == 1
    violations = verdict["violations"]
    assert violations and {v["package"].split("@")[0] for v in violations} <= {"curl", "libcurl4"}

    # The next promotion from this machine judges by the published baseline too, and replaces it.
    again = promote(same, f"{production}:2", GateInputs(policy=policy, db=db, auto_update=False))
    assert again.verdict.decision == "pass", again.verdict
    assert again.baseline_artifact not in (None, artifact.digest)


def test_no_published_baseline_is_undecided_unless_allowed(
        registry: RegistryServer, auth_registry: RegistryServer, db: Path, production_login: None, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = push(rootfs_image("never promoted"), f"{registry.host}/build/app:n1", tmp_path)
    policy = tmp_path / "new-only.yaml"
    policy.write_text(NEW_ONLY)
    common = ("--policy", str(policy), "--db", str(db), "--skip-db-update")
    never = f"{auth_registry.host}/prod/never-promoted"
    code, verdict = gate(capsys, target, *common, "--baseline-from", never)
    assert code == 8 and verdict["decision"] == "undecided"
    (error,) = verdict["errors"]
    assert never in error and BASELINE_TAG in error and "\n" not in error
    code, verdict = gate(capsys, target, *common, "--baseline-from", never, "--allow-no-baseline")
    assert code == 1
    assert any("no published baseline" in note for note in verdict["notes"])


def test_something_else_under_the_baseline_tag_is_undecided(
        registry: RegistryServer, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = rootfs_image("not a baseline")
    impostor = f"{registry.host}/prod/impostor"
    push(image, f"{impostor}:{BASELINE_TAG}", tmp_path)
    target = push(image, f"{registry.host}/build/app:i1", tmp_path)
    policy = tmp_path / "new-only.yaml"
    policy.write_text(NEW_ONLY)
    code, verdict = gate(capsys, target, "--policy", str(policy), "--db", str(db), "--skip-db-update",
                         "--baseline-from", impostor, "--allow-no-baseline")
    assert code == 8
    assert "is not a seawall baseline" in verdict["errors"][0]
