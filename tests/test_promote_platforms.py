"""Promotion of multi-platform images between two real registries (build: anonymous; production: Basic auth):
every platform is judged and a vulnerable one keeps the whole index out; with --platform, production receives a
new index holding only the judged platform. Local images lacking a requested platform are an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seawall.cli.main import main
from seawall.errors import InputError
from seawall.image.blobcache import BlobCache
from seawall.image.options import FetchOptions
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_oci_layout
from seawall.model.image import ImageRef
from seawall.policy.gate import GateInputs
from seawall.policy.promote import ARTIFACT_TYPE, PLATFORM_ANNOTATION, VERDICT_TYPE, list_referrers, promote
from seawall.scan import scan_target
from tests.fixtures.registry import RegistryServer, TestImage
from tests.promote_helpers import (
    blob_status,
    dpkg_status,
    login,
    manifest_status,
    rootfs_files,
    single_image,
    tags,
    two_platform_image,
)
from tests.triage_helpers import build_debian_db

pytestmark = pytest.mark.registry
POLICY = "rules:\n  - severity: {at_least: high, by: vendor}\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")


@pytest.fixture()
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.fixture()
def index(registry: RegistryServer, tmp_path: Path) -> tuple[str, TestImage, dict[str, str]]:
    """amd64: only zlib1g, which has no vulnerability; arm64: glibc with CVE-2023-4911 (high, fixable)."""
    image, digests = two_platform_image(rootfs_files(dpkg_status({"zlib1g"})),
                                        rootfs_files(dpkg_status(arch="arm64")))
    ref = f"{registry.host}/build/multi:{tmp_path.name[-20:]}"
    with RegistryClient() as client:
        push_oci_layout(client, image.write_layout(tmp_path / "layout"), ref)
    return ref, image, digests


def test_a_vulnerable_platform_keeps_the_whole_index_out(index: tuple[str, TestImage, dict[str, str]],
                                                         auth_registry: RegistryServer, db: Path,
                                                         policy: Path) -> None:
    login(auth_registry)
    source, image, digests = index
    result = promote(source, f"{auth_registry.host}/prod/refused:1.0",
                     GateInputs(policy=policy, db=db, auto_update=False))
    verdict = result.verdict
    assert verdict.decision == "fail" and result.digest is None
    assert verdict.image_digest == image.digest
    by_platform = {p.platform: p for p in verdict.platforms}
    assert set(by_platform) == {"linux/amd64", "linux/arm64/v8"}  # the attestation is not an image
    assert by_platform["linux/amd64"].decision == "pass" and by_platform["linux/amd64"].digest == digests["linux/amd64"]
    assert by_platform["linux/arm64/v8"].decision == "fail"
    assert ("CVE-2023-4911", "linux/arm64/v8") in {(v.finding_id, v.platform) for v in verdict.violations}
    assert {v.platform for v in verdict.violations} == {"linux/arm64/v8"}
    # Nothing of it reached production: no tag, no manifest, no blob.
    assert tags(auth_registry, "prod/refused") == []
    for digest in image.manifests:
        assert manifest_status(auth_registry, "prod/refused", digest) == 404
    for digest in image.blobs:
        assert blob_status(auth_registry, "prod/refused", digest) == 404


def test_platform_flag_promotes_an_index_of_only_that_platform(index: tuple[str, TestImage, dict[str, str]],
                                                               auth_registry: RegistryServer, db: Path,
                                                               policy: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    login(auth_registry)
    source, image, digests = index
    destination = f"{auth_registry.host}/prod/amd64only:1.0"
    with pytest.raises(SystemExit) as exited:
        main(["promote", source, destination, "--policy", str(policy), "--platform", "linux/amd64",
              "--db", str(db), "--skip-db-update", "--format", "json"])
    assert exited.value.code == 0
    out = json.loads(capsys.readouterr().out)
    promoted = out["promotion"]["digest"]
    assert out["promotion"]["filtered"] and out["promotion"]["source_digest"] == image.digest
    assert promoted != image.digest
    assert [p["platform"] for p in out["platforms"]] == ["linux/amd64"]
    dst = parse_reference(destination)
    repo = ImageRef(dst.registry, dst.repository)
    cache = BlobCache(tmp_path / "verify")
    with RegistryClient() as client:
        top = client.get_manifest(dst)
        assert top.digest == promoted and top.is_index
        assert [(m["digest"], m["platform"]["architecture"]) for m in top.doc["manifests"]] == \
            [(digests["linux/amd64"], "amd64")]
        (referrer,) = list_referrers(client, repo, promoted)
        artifact = client.get_manifest(ImageRef(dst.registry, dst.repository, None, referrer["digest"]))
        assert artifact.doc["subject"]["digest"] == promoted
        layers = {layer["mediaType"]: layer for layer in artifact.doc["layers"]}
        assert layers[ARTIFACT_TYPE]["annotations"][PLATFORM_ANNOTATION] == "linux/amd64"
        stated = json.loads(client.blob_bytes(repo, layers[VERDICT_TYPE]["digest"], layers[VERDICT_TYPE]["size"],
                                              cache))
        assert stated["promoted"] == {"digest": promoted, "destination": destination, "filtered_from": image.digest}
    # The arm64 image and the attestation never reached production.
    assert manifest_status(auth_registry, "prod/amd64only", digests["linux/arm64/v8"]) == 404
    assert manifest_status(auth_registry, "prod/amd64only", digests["attestation"]) == 404
    assert manifest_status(auth_registry, "prod/amd64only", image.digest) == 404
    arm64 = json.loads(image.manifests[digests["linux/arm64/v8"]])
    assert blob_status(auth_registry, "prod/amd64only", arm64["layers"][0]["digest"]) == 404


def test_every_platform_clean_promotes_the_index_unchanged(registry: RegistryServer, auth_registry: RegistryServer,
                                                           db: Path, policy: Path, tmp_path: Path) -> None:
    login(auth_registry)
    clean = rootfs_files(dpkg_status({"zlib1g"}))
    image, _ = two_platform_image(clean, rootfs_files(dpkg_status({"zlib1g"}, arch="arm64")))
    source = f"{registry.host}/build/clean:1"
    with RegistryClient() as client:
        push_oci_layout(client, image.write_layout(tmp_path / "layout"), source)
    result = promote(source, f"{auth_registry.host}/prod/clean:1", GateInputs(policy=policy, db=db,
                                                                             auto_update=False))
    assert result.verdict.decision == "pass", result.verdict
    assert result.digest == image.digest and not result.filtered
    assert [p.decision for p in result.verdict.platforms] == ["pass", "pass"]
    for digest in image.manifests:
        assert manifest_status(auth_registry, "prod/clean", digest) == 200


def test_a_platform_the_index_lacks_is_undecided(index: tuple[str, TestImage, dict[str, str]],
                                                 auth_registry: RegistryServer, db: Path, policy: Path) -> None:
    login(auth_registry)
    source, _, _ = index
    result = promote(source, f"{auth_registry.host}/prod/none:1",
                     GateInputs(policy=policy, db=db, auto_update=False, platform="linux/s390x"))
    assert result.verdict.decision == "undecided" and result.digest is None
    assert "no image for platform linux/s390x" in result.verdict.errors[0]


def test_platform_missing_from_a_local_layout_or_archive_is_an_error(tmp_path: Path, db: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from tests.imagebuild import oci_to_docker_archive

    layout = single_image(rootfs_files(dpkg_status({"zlib1g"}))).write_layout(tmp_path / "layout")
    with pytest.raises(InputError, match="no image for platform linux/arm64/v8"):
        scan_target(f"oci:{layout}", fetch=FetchOptions(platform="linux/arm64"), db=db, auto_update=False)
    amd64 = FetchOptions(platform="linux/amd64")
    assert scan_target(f"oci:{layout}", fetch=amd64, db=db, auto_update=False).findings == ()
    archive = oci_to_docker_archive(layout, tmp_path / "image.tar")
    with pytest.raises(SystemExit) as exited:
        main(["scan", f"docker-archive:{archive}", "--platform", "linux/arm64", "--db", str(db),
              "--skip-db-update"])
    assert exited.value.code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds no image for platform linux/arm64/v8 (it is linux/amd64)" in err


def test_gate_judges_every_platform_too(index: tuple[str, TestImage, dict[str, str]], db: Path, policy: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    source, _, digests = index
    common = ["--policy", str(policy), "--db", str(db), "--skip-db-update"]
    with pytest.raises(SystemExit) as exited:
        main(["gate", source, *common])
    assert exited.value.code == 1
    table = capsys.readouterr().out
    assert f"platform linux/amd64  PASS  {digests['linux/amd64']}" in table
    assert f"platform linux/arm64/v8  FAIL  {digests['linux/arm64/v8']}" in table
    assert "(linux/arm64/v8)" in table  # the violation names its platform
    with pytest.raises(SystemExit) as exited:
        main(["gate", source, *common, "--platform", "linux/amd64"])
    assert exited.value.code == 0
