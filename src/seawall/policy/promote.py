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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from seawall.errors import SeawallError, UndecidedError
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
    baseline_from_reports,
    load_baseline,
    local_baseline_path,
    save_baseline,
)
from seawall.policy.baseline_registry import BASELINE_TAG, BASELINE_TYPE, fetch_baseline_with, publish_baseline
from seawall.policy.gate import GateInputs, Judged, judge, load_inputs, undecided, with_db_date
from seawall.policy.platforms import Child, combine, filtered_index, scan_every_platform

ARTIFACT_TYPE = "application/vnd.seawall.scan.v1+json"
VERDICT_TYPE = "application/vnd.seawall.verdict.v1+json"
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY = b"{}"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
PLATFORM_ANNOTATION = "dev.seawall.platform"


@dataclass
class Promotion:
    """What `seawall promote` did: the verdict, what was copied where, the referrer attached, the baseline recorded."""

    judged: Judged
    source: str
    destination: str
    digest: str | None = None  # what was promoted (None: nothing was copied)
    referrer: str | None = None  # digest of the attached scan artifact
    referrers_via: str | None = None  # "api" | "tag-schema"
    baseline_path: str | None = None
    baseline_artifact: str | None = None  # digest of the baseline published under the seawall-baseline tag
    source_digest: str | None = None  # what was judged at the source (an index, or one manifest)
    platforms: list[tuple[Child, Judged]] = field(default_factory=list)  # each platform of an index, judged
    filtered: bool = False  # the promoted index is a new one holding only the judged platform

    @property
    def verdict(self) -> Verdict:
        return self.judged.verdict


def promote(source: str, destination: str, inputs: GateInputs, *, options: RegistryOptions | None = None,
            now: datetime | None = None) -> Promotion:
    """Gate `source` and, only on a pass, copy it to `destination` with its scan attached.

    An image index is judged platform by platform and passes only if every platform does; with
    `inputs.platform` only that platform is judged, and what reaches `destination` is a new index holding it alone.
    """
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

    def scan(target: str, platform: str | None) -> ScanReport:
        nonlocal report
        report = _scan(target, dataclasses.replace(inputs, platform=platform))
        return report

    try:
        baseline, notes = _destination_baseline(dst, inputs, registry_options, loaded.policy.uses_baseline)
        scanned = scan_every_platform(src, inputs.platform, registry_options, scan)
    except SeawallError as err:
        return Promotion(Judged(undecided(source, policy_name, err, now=now, report=report), report),
                         source, destination)
    top, children = scanned.top, scanned.children
    judged_each = [(child, judge(r, loaded, target=f"{source} [{child.platform}]" if child else source,
                                 baseline=baseline, notes=notes, now=now)) for child, r in scanned.reports]
    if children:
        judged = combine([(c, j) for c, j in judged_each if c is not None], target=source, index_digest=top.digest)
    else:
        judged = judged_each[0][1]
    result = Promotion(judged, source, destination, source_digest=top.digest,
                       platforms=[(c, j) for c, j in judged_each if c is not None], filtered=scanned.filtered)
    if judged.verdict.decision is not Decision.PASS:
        return result
    repo = ImageRef(src.registry, src.repository)
    triaged = [j.report for _, j in judged_each if j.report is not None]
    with RegistryClient(registry_options) as client:
        cache = BlobCache(blob_dir(inputs.cache_dir))
        if result.filtered:
            digest = _copy_filtered(client, repo, dst, top.doc, top.media_type, children, cache)
        else:
            digest = copy_image(client, with_digest(repo, top.digest), dst, cache)
        result.digest = digest
        subject = client.get_manifest(with_digest(ImageRef(dst.registry, dst.repository), digest))
        baseline_doc = baseline_from_reports(triaged, dst.name, image_digest=digest, created_at=_stamp(now),
                                             previous=baseline)
        scans = [(child.platform if child else None, _scan_json(j.report))
                 for child, j in judged_each if j.report is not None]
        result.referrer, result.referrers_via = attach_scan(
            client, dst, subject.digest, subject.media_type, len(subject.data), scans=scans,
            verdict=_verdict_json(judged.verdict, digest, destination, top.digest if result.filtered else None),
            baseline=json.dumps(baseline_doc.to_data(), sort_keys=True).encode(), now=now)
        result.baseline_artifact = publish_baseline(client, dst, baseline_doc, now)
    result.baseline_path = str(save_baseline(baseline_doc, local_baseline_path(dst.name, inputs.cache_dir)))
    return result


def _copy_filtered(client: RegistryClient, repo: ImageRef, dst: ImageRef, index: dict[str, object],
                   media_type: str, children: list[Child], cache: BlobCache) -> str:
    """Copy the judged children, then a new index listing only them; returns the new index's digest."""
    for child in children:
        copy_image(client, with_digest(repo, child.digest), ImageRef(dst.registry, dst.repository, None, child.digest),
                   cache)
    data = filtered_index(index, children)
    target = dst if dst.tag or dst.digest else with_digest(dst, sha256_digest(data))
    return push_manifest(client, target, data, media_type)


def _destination_baseline(dst: ImageRef, inputs: GateInputs, options: RegistryOptions,
                          needed: bool) -> tuple[Baseline | None, list[str]]:
    """The named file, else the one published in the destination repository.

    Without either, a policy that judges by the baseline cannot decide — unless `allow_no_baseline` says the
    repository was simply never promoted to, in which case every finding is new.
    """
    if inputs.baseline is not None:
        return load_baseline(inputs.baseline), []
    published = fetch_baseline_with(options, dst, inputs.cache_dir)
    if published is not None or not needed:
        return published, []
    if not inputs.allow_no_baseline:
        raise UndecidedError(f"{dst.name} has no published baseline (no {BASELINE_TAG} tag)",
                             remedy=f"`seawall baseline create` from what production runs and --publish it to "
                                    f"{dst.name}, or passing --allow-no-baseline for the repository's first promotion")
    return None, [f"{dst.name} has no published baseline (never promoted): every finding counts as new"]


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


def _verdict_json(verdict: Verdict, digest: str, destination: str, filtered_from: str | None) -> bytes:
    from seawall.policy.render import render_json

    data = json.loads(render_json(verdict))
    data["promoted"] = {"digest": digest, "destination": destination}
    if filtered_from:
        data["promoted"]["filtered_from"] = filtered_from
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).encode()


def attach_scan(client: RegistryClient, dst: ImageRef, subject_digest: str, subject_type: str, subject_size: int,
                *, scans: list[tuple[str | None, bytes]], verdict: bytes, baseline: bytes,
                now: datetime) -> tuple[str, str]:
    """Push the scan artifact with `subject`; returns (its digest, "api" or "tag-schema").

    It holds one scan per platform judged (titled `scan-<os>-<arch>[-<variant>].json` for an index), the verdict
    and the baseline.
    """
    repo = ImageRef(dst.registry, dst.repository)
    layers = []
    parts = [(scan, ARTIFACT_TYPE, f"scan-{plat.replace('/', '-')}.json" if plat else "scan.json", plat)
             for plat, scan in scans]
    parts += [(verdict, VERDICT_TYPE, "verdict.json", None), (baseline, BASELINE_TYPE, "baseline.json", None)]
    for data, media_type, title, plat in parts:
        digest = sha256_digest(data)
        push_blob(client, repo, digest, data, len(data))
        annotations = {"org.opencontainers.image.title": title, **({PLATFORM_ANNOTATION: plat} if plat else {})}
        layers.append({"mediaType": media_type, "digest": digest, "size": len(data), "annotations": annotations})
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

