"""Promotion: the only way into production. Scan the build image, gate it, and only on a pass copy it (every
manifest and blob, digests unchanged) to the production repository, attach the scan and verdict as an OCI
referrer, and record the new baseline (in the cache and under the destination's `seawall-baseline` tag).

Referrers: a manifest whose `subject` is the promoted image. Registries with the OCI 1.1 referrers API index it
themselves; for the others (distribution 2.8 among them) the referrers tag schema is kept by hand: an index
tagged `sha256-<hex of the subject digest>` listing every referrer, as distribution-spec 1.1 describes.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from seawall.errors import SeawallError
from seawall.image import mediatypes
from seawall.image.blobcache import BlobCache
from seawall.image.reference import parse_reference, with_digest
from seawall.image.registry.client import RegistryClient, RegistryOptions, sha256_digest
from seawall.image.registry.push import copy_image, push_blob, push_manifest
from seawall.model.finding import ScanReport
from seawall.model.image import ImageRef
from seawall.model.policy import Decision, Verdict
from seawall.paths import blob_dir
from seawall.policy.baseline import (
    Baseline,
    baseline_from_report,
    find_local_baseline,
    load_baseline,
    local_baseline_path,
    save_baseline,
)
from seawall.policy.baseline_registry import BASELINE_TYPE, fetch_baseline_with, publish_baseline
from seawall.policy.gate import GateInputs, Judged, judge, load_inputs, undecided, with_db_date

ARTIFACT_TYPE = "application/vnd.seawall.scan.v1+json"
VERDICT_TYPE = "application/vnd.seawall.verdict.v1+json"
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY = b"{}"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@dataclass
class Promotion:
    judged: Judged
    source: str
    destination: str
    digest: str | None = None  # what was promoted (None: nothing was copied)
    referrer: str | None = None  # digest of the attached scan artifact
    referrers_via: str | None = None  # "api" | "tag-schema"
    baseline_path: str | None = None
    baseline_artifact: str | None = None  # digest of the baseline published under the seawall-baseline tag

    @property
    def verdict(self) -> Verdict:
        return self.judged.verdict


def promote(source: str, destination: str, inputs: GateInputs, *, options: RegistryOptions | None = None,
            now: datetime | None = None) -> Promotion:
    """Gate `source` and, only on a pass, copy it to `destination` with its scan attached."""
    now = now or inputs.now or datetime.now(UTC)
    inputs = dataclasses.replace(inputs, now=now)
    policy_name = str(inputs.policy)
    try:
        src, dst = parse_reference(source), parse_reference(destination)
        loaded = load_inputs(inputs)
    except SeawallError as err:
        return Promotion(Judged(undecided(source, policy_name, err, now=now)), source, destination)
    registry_options = options or RegistryOptions(insecure_registries=frozenset(inputs.insecure_registries))
    report: ScanReport | None = None
    try:
        report = _scan(source, inputs)
        baseline = _destination_baseline(dst, inputs, registry_options)
    except SeawallError as err:
        return Promotion(Judged(undecided(source, policy_name, err, now=now, report=report), report),
                         source, destination)
    notes = [] if baseline or not loaded.policy.uses_baseline else [
        f"{dst.name} has no published baseline (never promoted): every finding counts as new"]
    judged = judge(report, loaded, target=source, baseline=baseline, notes=notes, now=now)
    result = Promotion(judged, source, destination)
    if judged.verdict.decision is not Decision.PASS:
        return result
    # Copy exactly what was scanned: the index (or manifest) by digest, so a tag moved meanwhile changes nothing.
    image = report.sbom.image
    scanned = image.index_digest or image.digest
    if not scanned:
        result.judged = dataclasses.replace(judged, verdict=undecided(
            source, policy_name, "the scanned image has no digest to promote", now=now, report=report))
        return result
    with RegistryClient(registry_options) as client:
        cache = BlobCache(blob_dir(inputs.cache_dir))
        digest = copy_image(client, with_digest(ImageRef(src.registry, src.repository), scanned), dst, cache)
        result.digest = digest
        subject = client.get_manifest(with_digest(ImageRef(dst.registry, dst.repository), digest))
        baseline_doc = baseline_from_report(judged.report or report, dst.name, created_at=_stamp(now))
        result.referrer, result.referrers_via = attach_scan(
            client, dst, subject.digest, subject.media_type, len(subject.data),
            scan=_scan_json(judged.report or report), verdict=_verdict_json(judged.verdict, digest, destination),
            baseline=json.dumps(baseline_doc.to_data(), sort_keys=True).encode(), now=now)
        result.baseline_artifact = publish_baseline(client, dst, baseline_doc, now)
    result.baseline_path = str(save_baseline(baseline_doc, local_baseline_path(dst.name, inputs.cache_dir)))
    return result


def _destination_baseline(dst: ImageRef, inputs: GateInputs, options: RegistryOptions) -> Baseline | None:
    """The named file, else the one published in the destination repository, else this machine's cached one."""
    if inputs.baseline is not None:
        return load_baseline(inputs.baseline)
    published = fetch_baseline_with(options, dst, inputs.cache_dir)
    return published if published is not None else find_local_baseline(dst.name, inputs.cache_dir)


def _stamp(now: datetime) -> str:
    return now.isoformat(timespec="seconds").replace("+00:00", "Z")


def _scan(source: str, inputs: GateInputs) -> ScanReport:
    from pathlib import Path

    from seawall.image.options import FetchOptions
    from seawall.scan import scan_target

    report = scan_target(source, fetch=FetchOptions.of(inputs.platform, inputs.insecure_registries, inputs.cache_dir),
                         db=Path(inputs.db) if inputs.db else None,
                         auto_update=inputs.auto_update, base_image=inputs.base_image, now=inputs.now)
    return with_db_date(report, inputs.db)


def _scan_json(report: ScanReport) -> bytes:
    from seawall.output.scan import ScanView
    from seawall.output.scan_json import render

    return render(report, ScanView(show_suppressed=True)).encode()


def _verdict_json(verdict: Verdict, digest: str, destination: str) -> bytes:
    from seawall.policy.render import render_json

    data = json.loads(render_json(verdict))
    data["promoted"] = {"digest": digest, "destination": destination}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).encode()


def attach_scan(client: RegistryClient, dst: ImageRef, subject_digest: str, subject_type: str, subject_size: int,
                *, scan: bytes, verdict: bytes, baseline: bytes, now: datetime) -> tuple[str, str]:
    """Push the scan artifact with `subject`; returns (its digest, "api" or "tag-schema")."""
    repo = ImageRef(dst.registry, dst.repository)
    layers = []
    for data, media_type, title in ((scan, ARTIFACT_TYPE, "scan.json"), (verdict, VERDICT_TYPE, "verdict.json"),
                                    (baseline, BASELINE_TYPE, "baseline.json")):
        digest = sha256_digest(data)
        push_blob(client, repo, digest, data, len(data))
        layers.append({"mediaType": media_type, "digest": digest, "size": len(data),
                       "annotations": {"org.opencontainers.image.title": title}})
    push_blob(client, repo, sha256_digest(EMPTY), EMPTY, len(EMPTY))
    annotations = {"org.opencontainers.image.created": _stamp(now)}
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": EMPTY_TYPE, "digest": sha256_digest(EMPTY), "size": len(EMPTY), "data": "e30="},
        "layers": layers,
        "subject": {"mediaType": subject_type, "digest": subject_digest, "size": subject_size},
        "annotations": annotations,
    }, sort_keys=True, separators=(",", ":")).encode()
    artifact = push_manifest(client, with_digest(repo, sha256_digest(manifest)), manifest, OCI_MANIFEST)
    if _has_referrers_api(client, repo, subject_digest):
        return artifact, "api"
    _add_to_referrers_tag(client, repo, subject_digest, {
        "mediaType": OCI_MANIFEST, "digest": artifact, "size": len(manifest), "artifactType": ARTIFACT_TYPE,
        "annotations": annotations})
    return artifact, "tag-schema"


def referrers_tag(subject_digest: str) -> str:
    algorithm, hexpart = subject_digest.split(":", 1)
    return f"{algorithm}-{hexpart}"[:128]


def _has_referrers_api(client: RegistryClient, repo: ImageRef, subject_digest: str) -> bool:
    response = client.request("GET", repo.registry, f"/v2/{repo.repository}/referrers/{subject_digest}",
                              scopes=(f"repository:{repo.repository}:pull",), headers={"Accept": OCI_INDEX})
    return response.status_code == 200 and response.headers.get("content-type", "").startswith(OCI_INDEX)


def _add_to_referrers_tag(client: RegistryClient, repo: ImageRef, subject_digest: str,
                          descriptor: dict[str, object]) -> None:
    tag_ref = dataclasses.replace(repo, tag=referrers_tag(subject_digest), digest=None)
    manifests: list[dict[str, object]] = []
    response = client.request("GET", repo.registry, f"/v2/{repo.repository}/manifests/{tag_ref.tag}",
                              scopes=(f"repository:{repo.repository}:pull",), headers={"Accept": OCI_INDEX})
    if response.status_code == 200:
        _, doc = mediatypes.parse_manifest(response.content, f"referrers index {tag_ref}", OCI_INDEX)
        manifests = [m for m in doc.get("manifests") or () if m.get("digest") != descriptor["digest"]]
    elif response.status_code != 404:
        client.raise_for_status(response, repo.registry, f"referrers index {tag_ref}")
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [*manifests, descriptor]},
                       sort_keys=True, separators=(",", ":")).encode()
    push_manifest(client, tag_ref, index, OCI_INDEX)


def list_referrers(client: RegistryClient, repo: ImageRef, subject_digest: str) -> list[dict[str, object]]:
    """Referrers of a manifest: the API where the registry has it, else the tag schema's index."""
    for path in (f"/v2/{repo.repository}/referrers/{subject_digest}",
                 f"/v2/{repo.repository}/manifests/{referrers_tag(subject_digest)}"):
        response = client.request("GET", repo.registry, path, scopes=(f"repository:{repo.repository}:pull",),
                                  headers={"Accept": OCI_INDEX})
        if response.status_code == 200 and response.headers.get("content-type", "").startswith(OCI_INDEX):
            _, doc = mediatypes.parse_manifest(response.content, f"referrers of {repo.name}@{subject_digest}",
                                               OCI_INDEX)
            return list(doc.get("manifests") or ())
    return []

