"""What a production repository holds, read without pulling a layer: its tags, the digest each names, the scan
`promote` attached to each as an OCI referrer (inventory included), and the repository's `seawall-baseline`.

An image under a tag without a seawall scan referrer was not promoted by seawall: it is listed as unjudged, never
as clean.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from seawall.errors import InputError, IntegrityError, SeawallError
from seawall.image import mediatypes
from seawall.image.blobcache import BlobCache
from seawall.image.reference import check_digest, parse_reference
from seawall.image.registry.client import RegistryClient, read_bounded
from seawall.model.finding import ScanReport
from seawall.model.image import ImageRef
from seawall.paths import blob_dir
from seawall.policy.baseline import Baseline
from seawall.policy.baseline_registry import BASELINE_TAG, fetch_baseline
from seawall.policy.promote import ARTIFACT_TYPE, PLATFORM_ANNOTATION, list_referrers
from seawall.reports.seawall_json import parse_scan_report

MAX_SCAN_BYTES = 256 * 1024 * 1024  # a scan with every package of a large image stays well under
MAX_TAGS = 10_000  # a repository listing more is refused rather than walked forever
_TAGS_PAGE = 1000


@dataclass
class PromotedImage:
    """One image a production repository holds, and the scan `promote` attached to it (None: unjudged, never clean)."""

    repository: str  # registry/repository
    digest: str
    tags: list[str] = field(default_factory=list)
    platform: str | None = None  # of an index's child, judged separately (None: a single-platform image)
    report: ScanReport | None = None  # the scan attached at promotion; None: no seawall scan referrer
    scan_digest: str | None = None  # the referrer artifact's digest
    problem: str | None = None  # why it could not be read (the image is then unjudged)

    @property
    def reference(self) -> str:
        return f"{self.repository}@{self.digest}" + (f" [{self.platform}]" if self.platform else "")


@dataclass
class Repository:
    """What one production repository holds: its images, and its `seawall-baseline`, or why that could not be read."""

    name: str
    images: list[PromotedImage] = field(default_factory=list)
    baseline: Baseline | None = None
    baseline_problem: str | None = None


def _is_bookkeeping(tag: str) -> bool:
    """Tags that are not images: the baseline and the referrers tag schema's `sha256-<hex>` indexes."""
    return tag == BASELINE_TAG or (tag.startswith("sha256-") and len(tag) == 71)


def list_tags(client: RegistryClient, repo: ImageRef) -> list[str]:
    tags: list[str] = []
    path: str | None = f"/v2/{repo.repository}/tags/list?n={_TAGS_PAGE}"
    while path:
        response = client.request("GET", repo.registry, path, scopes=(f"repository:{repo.repository}:pull",),
                                  stream=True)
        try:
            if response.status_code == 404:
                response.read()
                return []
            client.raise_for_status(response, repo.registry, f"tags of {repo.name}")
            data = read_bounded(response, mediatypes.MAX_MANIFEST_BYTES, f"tags of {repo.name}")
        finally:
            response.close()
        try:
            listed = json.loads(data).get("tags") or []
        except (ValueError, AttributeError) as err:
            raise IntegrityError(f"{repo.registry} answered a tag list of {repo.name} that is not JSON",
                                 remedy="checking the registry") from err
        tags.extend(str(t) for t in listed if isinstance(t, str))
        if len(tags) > MAX_TAGS:
            raise IntegrityError(f"{repo.name} lists more than {MAX_TAGS} tags", remedy="watching fewer tags")
        link = response.headers.get("link", "")
        path = link.split(";")[0].strip().strip("<>") if 'rel="next"' in link else None
    return tags


def read_repository(client: RegistryClient, name: str, cache_dir: str | None = None) -> Repository:
    """Every image tagged in `name` (registry/repository[:tag]: a tag watches only that one) with its scan."""
    ref = parse_reference(name)
    repo = ImageRef(ref.registry, ref.repository)
    result = Repository(repo.name)
    try:
        result.baseline = fetch_baseline(client, repo, cache_dir)
    except SeawallError as err:
        # Only a fallback for finding the promoted image: the tags and their referrers are what is judged.
        result.baseline_problem = err.message
    explicit = ref.tag if ":" in name.rsplit("/", 1)[-1] and "@" not in name else None
    tags = [explicit] if explicit else [t for t in list_tags(client, repo) if not _is_bookkeeping(t)]
    by_digest: dict[str, PromotedImage] = {}
    for tag in sorted(tags):
        digest = client.head_manifest(dataclasses.replace(repo, tag=tag))
        if digest is None:
            continue
        digest = check_digest(digest, f"{repo.name}:{tag}")
        image = by_digest.setdefault(digest, PromotedImage(repo.name, digest))
        image.tags.append(tag)
    baseline_digest = result.baseline.image_digest if result.baseline else None
    if baseline_digest and baseline_digest not in by_digest and not explicit:
        by_digest[baseline_digest] = PromotedImage(repo.name, baseline_digest)
    cache = BlobCache(blob_dir(cache_dir))
    for image in by_digest.values():
        try:
            scans, artifact = attached_scans(client, repo, image.digest, cache)
        except SeawallError as err:
            image.problem = err.message
            result.images.append(image)
            continue
        if not scans:
            image.problem = "no seawall scan attached (not promoted with `seawall promote`)"
            result.images.append(image)
        for platform, report in scans:  # an index: each platform is judged as an image of its own
            result.images.append(dataclasses.replace(image, tags=list(image.tags), platform=platform, report=report,
                                                     scan_digest=artifact))
    result.images.sort(key=lambda i: (i.tags[:1] or ["~"], i.digest, i.platform or ""))
    return result


def attached_scans(client: RegistryClient, repo: ImageRef, digest: str,
                   cache: BlobCache) -> tuple[list[tuple[str | None, ScanReport]], str | None]:
    """The scans (one per platform of an index) of the newest seawall scan referrer of `digest`, and the
    referrer's digest; ([], None) when there is none."""
    scans = [r for r in list_referrers(client, repo, digest) if r.get("artifactType") == ARTIFACT_TYPE]
    if not scans:
        return [], None

    def created(referrer: dict[str, Any]) -> str:
        annotations = referrer.get("annotations")
        return str(annotations.get("org.opencontainers.image.created", "")) if isinstance(annotations, dict) else ""

    newest = max(scans, key=created)
    artifact = check_digest(str(newest.get("digest")), f"referrer of {repo.name}@{digest}")
    manifest = client.get_manifest(dataclasses.replace(repo, digest=artifact), accept=mediatypes.OCI_MANIFEST)
    layers = [layer for layer in manifest.doc.get("layers") or ()
              if isinstance(layer, dict) and layer.get("mediaType") == ARTIFACT_TYPE]
    if not layers:
        raise IntegrityError(f"the scan referrer {artifact} of {repo.name}@{digest} holds no scan")
    out = []
    for layer in layers:
        platform = (layer.get("annotations") or {}).get(PLATFORM_ANNOTATION)
        where = f"the scan attached to {repo.name}@{digest}" + (f" [{platform}]" if platform else "")
        if not isinstance(layer.get("size"), int):
            raise IntegrityError(f"{where} has no size")
        blob = check_digest(str(layer.get("digest")), where)
        data = client.blob_bytes(repo, blob, layer["size"], cache, limit=MAX_SCAN_BYTES)
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise IntegrityError(f"{where} is not JSON") from err
        if isinstance(doc, dict) and "otherPackages" not in doc:
            # Before scans carried the whole inventory, only packages with findings were listed.
            raise InputError(f"{where} lists only the packages with findings (promoted by an older seawall)",
                             remedy="promoting the image again")
        out.append((str(platform) if platform else None, parse_scan_report(doc, where, other_packages=True)))
    return out, artifact
