"""Multi-platform images: every runnable platform of an index is judged on its own, and the index passes only when
each of them does. With a platform chosen, the index promoted holds only what was judged.

Attestation manifests (buildkit's `unknown/unknown` children) are not images and are skipped; anything else in
the index is judged, so no platform can ride along unjudged.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from seawall.errors import InputError
from seawall.image.platforms import is_attestation, normalize, platform_of, select_manifest
from seawall.image.reference import check_digest, with_digest
from seawall.image.registry.client import Manifest, RegistryClient, RegistryOptions
from seawall.model.finding import ScanReport
from seawall.model.image import ImageRef
from seawall.model.policy import Decision, PlatformVerdict, Verdict
from seawall.policy.gate import Judged


@dataclass(frozen=True)
class Child:
    """One platform's image in an index a gate judges: its platform, manifest digest and descriptor."""

    platform: str
    digest: str
    descriptor: dict[str, Any]


def children_to_judge(manifests: Sequence[dict[str, Any]], wanted: str | None, what: str) -> list[Child]:
    """The children of an index a gate must judge: the one matching `wanted`, else every runnable one."""
    from seawall.image.platforms import parse_platform

    runnable = [d for d in manifests if isinstance(d, dict) and not is_attestation(d)]
    chosen = [select_manifest(list(runnable), parse_platform(wanted), what)] if wanted else runnable
    if not chosen:
        raise InputError(f"{what}: the index lists no image manifest, only attestations")
    out = []
    for descriptor in chosen:
        plat = platform_of(descriptor.get("platform"))
        out.append(Child(str(normalize(plat)) if plat else "unknown", check_digest(descriptor.get("digest"), what),
                         descriptor))
    return out


def filtered_index(index: dict[str, Any], children: Sequence[Child]) -> bytes:
    """The index with only `children` in it (annotations and media type kept): what was judged, nothing more."""
    kept = {c.digest for c in children}
    doc = {**index, "manifests": [d for d in index["manifests"] if isinstance(d, dict) and d.get("digest") in kept]}
    return json.dumps(doc, separators=(",", ":")).encode()


@dataclass
class Scanned:
    """An image as judged: its top manifest (or index), the platforms chosen, one report per platform."""

    top: Manifest
    children: list[Child]
    reports: list[tuple[Child | None, ScanReport]]

    @property
    def filtered(self) -> bool:
        """Only some of the index's images were judged: what may be promoted is a new index of those."""
        listed = [d for d in self.top.doc.get("manifests") or () if isinstance(d, dict) and not is_attestation(d)]
        return bool(self.children) and len(self.children) < len(listed)


def scan_every_platform(ref: ImageRef, platform: str | None, options: RegistryOptions,
                        scan: Callable[[str, str | None], ScanReport]) -> Scanned:
    """Resolve `ref` once, then scan by digest every platform a gate must judge (or the one manifest)."""
    with RegistryClient(options) as client:
        top = client.get_manifest(ref)
    repo = ImageRef(ref.registry, ref.repository)
    if not top.is_index:
        return Scanned(top, [], [(None, scan(str(with_digest(repo, top.digest)), platform))])
    children = children_to_judge(top.doc["manifests"], platform, str(ref))
    # By digest: the bytes judged are the bytes copied, whatever happens to the tag meanwhile.
    return Scanned(top, children, [(c, scan(str(with_digest(repo, c.digest)), None)) for c in children])


_ORDER = {Decision.PASS: 0, Decision.UNDECIDED: 1, Decision.FAIL: 2}


def combine(judged: Sequence[tuple[Child, Judged]], *, target: str, index_digest: str) -> Judged:
    """One verdict for an index: a failure on any platform fails it; else any undecided platform makes it
    undecided; it passes only when every platform passes. Violations and errors say which platform."""
    verdicts = [(child, j.verdict) for child, j in judged]
    decision = max((v.decision for _, v in verdicts), key=_ORDER.__getitem__)
    violations = tuple(dataclasses.replace(v, platform=child.platform) for child, verdict in verdicts
                       for v in verdict.violations)
    errors = tuple(f"{child.platform}: {e}" for child, verdict in verdicts for e in verdict.errors)
    notes = tuple(dict.fromkeys(n for _, verdict in verdicts for n in verdict.notes))
    first = verdicts[0][1]
    platforms = tuple(PlatformVerdict(platform=child.platform, digest=child.digest, decision=v.decision,
                                      findings=v.findings, suppressed=v.suppressed, violations=len(v.violations),
                                      errors=v.errors) for child, v in verdicts)
    verdict = Verdict(decision=decision, target=target, policy=first.policy, violations=violations, notes=notes,
                      errors=errors, image_digest=index_digest, repository=first.repository,
                      evaluated_at=first.evaluated_at, db_built_at=first.db_built_at, baseline=first.baseline,
                      findings=sum(v.findings for _, v in verdicts),
                      suppressed=sum(v.suppressed for _, v in verdicts), platforms=platforms)
    first_judged = judged[0][1]
    return Judged(verdict, first_judged.report, first_judged.baseline, first_judged.triage)
