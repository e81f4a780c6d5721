"""`seawall promote` between two real registries (build: anonymous; production: Basic auth): a failing gate
copies nothing; a passing one copies every manifest and blob under the same digest, attaches the scan as an OCI
referrer (tag-schema fallback on distribution 2.8) and records the baseline."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import httpx
import pytest

from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_oci_layout
from seawall.model.image import ImageRef
from seawall.policy.baseline import load_baseline, local_baseline_path
from seawall.policy.gate import GateInputs
from seawall.policy.promote import ARTIFACT_TYPE, BASELINE_TYPE, list_referrers, promote, referrers_tag
from tests.fixtures.registry import OCI_MANIFEST, PASSWORD, USER, RegistryServer, TestImage, make_layer
from tests.triage_helpers import ROOTFS, TRIAGE, build_debian_db

pytestmark = pytest.mark.registry


def debian_image() -> TestImage:
    """One layer holding the Debian rootfs whose packages the tracker excerpt knows."""
    files = {str(p.relative_to(ROOTFS)): p.read_bytes() for p in ROOTFS.rglob("*") if p.is_file()}
    layer, diff_id = make_layer(files)
    image = TestImage()
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-05-01T00:00:00Z",
                         "config": {"User": "1000"}, "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                         "history": [{"created_by": "ADD rootfs.tar /"}]}).encode()
    image.top = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **image.add(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **image.add(layer)}],
    }).encode()
    image.manifests[image.digest] = image.top
    return image


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")


@pytest.fixture()
def built(registry: RegistryServer, tmp_path: Path) -> tuple[str, TestImage]:
    image = debian_image()
    ref = f"{registry.host}/build/api:{tmp_path.name[-20:]}"
    with RegistryClient() as client:
        push_oci_layout(client, image.write_layout(tmp_path / "layout"), ref)
    return ref, image


@pytest.fixture()
def production_login(auth_registry: RegistryServer) -> None:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {auth_registry.host: {"auth": token}}}))


def manifest_status(server: RegistryServer, repository: str, reference: str) -> int:
    auth = (USER, PASSWORD) if "auth" in str(server.root) else None
    return httpx.get(f"{server.url}/v2/{repository}/manifests/{reference}", auth=auth,
                     headers={"Accept": f"{OCI_MANIFEST}, application/vnd.oci.image.index.v1+json"}).status_code


def test_failing_gate_copies_nothing(built: tuple[str, TestImage], auth_registry: RegistryServer, db: Path,
                                     production_login: None) -> None:
    source, image = built
    destination = f"{auth_registry.host}/prod/api:blocked"
    result = promote(source, destination, GateInputs(policy=TRIAGE / "policy.yaml", db=db, auto_update=False,
                                                     allow_no_baseline=True))
    assert result.verdict.decision == "fail"
    assert result.digest is None and result.referrer is None
    assert manifest_status(auth_registry, "prod/api", "blocked") == 404
    assert manifest_status(auth_registry, "prod/api", image.digest) == 404


def test_passing_gate_promotes_with_scan_attached(built: tuple[str, TestImage], auth_registry: RegistryServer,
                                                  db: Path, production_login: None, tmp_path: Path) -> None:
    source, image = built
    destination = f"{auth_registry.host}/prod/api:1.0"
    allow = tmp_path / "allow.yaml"
    allow.write_text("entries:\n  - id: CVE-2023-4911\n    source: glibc\n    expires: 2099-01-01\n"
                     "    justification: vulnerable_code_not_in_execute_path\n"
                     "    statement: No setuid binaries in the image; the tunables never reach a privileged ld.so.\n")
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  - severity: {at_least: high, by: vendor, unknown: ignore}\n  - no_root:\n"
                      "  - severity: {at_least: medium, fixable_only: true, new_only: true}\n")
    # No baseline in production: a new-only policy cannot decide, unless told this is the first promotion…
    unknown = promote(source, destination, GateInputs(policy=policy, allowlists=[allow], db=db, auto_update=False))
    assert unknown.verdict.decision == "undecided" and unknown.digest is None
    assert "no published baseline" in unknown.verdict.errors[0]
    # …and then every finding is new: curl's fixable CVE-2024-2398 (medium) blocks the first attempt.
    first = promote(source, destination, GateInputs(policy=policy, allowlists=[allow], db=db, auto_update=False,
                                                    allow_no_baseline=True))
    assert first.verdict.decision == "fail" and first.digest is None
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("rules:\n  - severity: {at_least: high, by: vendor, unknown: ignore}\n  - no_root:\n")
    result = promote(source, destination, GateInputs(policy=lenient, allowlists=[allow], db=db, auto_update=False))
    assert result.verdict.decision == "pass", result.verdict
    assert result.digest == image.digest  # digest preserved
    dst = parse_reference(destination)
    with RegistryClient() as client:
        assert client.get_manifest(dst).digest == image.digest
        for digest, data in image.blobs.items():
            assert client.blob_bytes(dst, digest, len(data), _cache(tmp_path)) == data
        referrers = list_referrers(client, ImageRef(dst.registry, dst.repository), image.digest)
        assert result.referrers_via == "tag-schema"  # distribution 2.8 has no referrers API
        (descriptor,) = referrers
        assert descriptor["artifactType"] == ARTIFACT_TYPE and descriptor["digest"] == result.referrer
        artifact = client.get_manifest(ImageRef(dst.registry, dst.repository, None, result.referrer))
        assert artifact.doc["subject"]["digest"] == image.digest
        assert artifact.doc["artifactType"] == ARTIFACT_TYPE
        layers = {layer["mediaType"]: layer for layer in artifact.doc["layers"]}
        scan = json.loads(client.blob_bytes(dst, layers[ARTIFACT_TYPE]["digest"], layers[ARTIFACT_TYPE]["size"],
                                            _cache(tmp_path)))
        assert scan["schema"] == "https://seawall.dev/schema/scan/v1" and scan["summary"]["suppressed"] == 2
        assert BASELINE_TYPE in layers
    assert manifest_status(auth_registry, "prod/api", referrers_tag(image.digest)) == 200
    baseline = load_baseline(local_baseline_path(dst.name))
    assert baseline.image_digest == image.digest and baseline.repository == dst.name
    # Promoted once, the same image passes the new-only policy: nothing in it is new any more.
    again = promote(source, destination, GateInputs(policy=policy, allowlists=[allow], db=db, auto_update=False))
    assert again.verdict.decision == "pass", again.verdict
    with RegistryClient() as client:
        assert len(list_referrers(client, ImageRef(dst.registry, dst.repository), image.digest)) == 2


def test_promotion_within_one_registry(built: tuple[str, TestImage], registry: RegistryServer, db: Path,
                                       tmp_path: Path) -> None:
    source, image = built
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("rules:\n  - severity: {at_least: critical, unknown: ignore}\n")
    result = promote(source, f"{registry.host}/prod/api:2.0", GateInputs(policy=lenient, db=db, auto_update=False))
    assert result.digest == image.digest
    assert manifest_status(registry, "prod/api", "2.0") == 200


def test_undecided_when_the_build_registry_is_down(db: Path, tmp_path: Path) -> None:
    result = promote("127.0.0.1:9/build/api:1", "127.0.0.1:9/prod/api:1",
                     GateInputs(policy=TRIAGE / "policy-lenient.yaml", db=db, auto_update=False))
    assert result.verdict.decision == "undecided" and result.digest is None


def _cache(tmp_path: Path):
    from seawall.image.blobcache import BlobCache

    return BlobCache(tmp_path / "verify-cache")

