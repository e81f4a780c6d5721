"""`seawall scan` as a library call: inventory (cached per layer) → match against the DB → one report.

Secret scanning and filesystem checks run as layer analyzers in the same pass as the inventory; their results go
to `ScanReport.secrets`, `.config` and `.minimality`; `.scanners` names the scanners that ran, in `SCANNERS` order."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seawall.errors import InputError, SeawallError
from seawall.image.options import DEFAULT_FETCH, FetchOptions
from seawall.model.coverage import Coverage
from seawall.model.finding import Finding, ScanReport
from seawall.model.image import Image
from seawall.model.vuln import FeedProvenance

if TYPE_CHECKING:
    from seawall.inventory.build import Inventory

BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"
SCANNERS = ("vuln", "secret", "config")


def scan_target(
    target: str,
    *,
    fetch: FetchOptions = DEFAULT_FETCH,
    db: str | os.PathLike[str] | None = None,
    auto_update: bool = True,
    base_image: str | None = None,
    use_cache: bool = True,
    show_progress: bool = False,
    now: datetime | None = None,
    scanners: Collection[str] = SCANNERS,
    secret_config: str | os.PathLike[str] | None = None,
) -> ScanReport:
    from seawall.inventory.api import load_inventory

    unknown = set(scanners) - set(SCANNERS)
    if unknown or not scanners:
        raise InputError(f"unknown scanner(s) {', '.join(sorted(unknown)) or '(none given)'}",
                         remedy=f"choosing from {', '.join(SCANNERS)}")
    analyzers = _analyzers(scanners, secret_config)
    # Without secret and configuration scanners only the SBOM is read (whole-image cache entries serve it); with
    # them, their results for an image seen before are kept beside it under the analyzers' names and versions.
    parts = [f"{analyzer.name}:{analyzer.version}" for analyzer in analyzers] or None
    inventory = load_inventory(target, analyzers=analyzers, fetch=fetch, use_cache=use_cache,
                               show_progress=show_progress, sbom_only=not analyzers, derived=parts,
                               restore=functools.partial(_restore, scanners=scanners))
    sbom = inventory.sbom
    findings: list[Finding] = []
    meta: dict[str, str] = {}
    feeds: tuple[FeedProvenance, ...] = ()
    coverage: Coverage | None = None
    schema = None
    if "vuln" in scanners:
        from seawall.db import ensure_db
        from seawall.db.store import VulnStore
        from seawall.match import match_sbom
        from seawall.match.coverage import compute_coverage, mark_covered

        db_file = ensure_db(Path(db) if db else None, auto_update=auto_update)
        with VulnStore.open(db_file) as store:
            coverage = compute_coverage(sbom, store.coverage())
            sbom = mark_covered(sbom, coverage)
            findings = match_sbom(sbom, store)
            meta = store.meta()
            feeds = tuple(store.feeds())
            schema = store.schema_version
    base_name, base_layers = base_layer_count(sbom.image, base_image, fetch)
    if base_layers is not None:
        findings = [mark_base(f, base_layers) for f in findings]
    return ScanReport(
        sbom=sbom,
        findings=tuple(findings),
        scanned_at=(now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z"),
        db_built_at=meta.get("updated_at"),
        db_schema=schema,
        feeds=feeds,
        base_image=base_name,
        base_layers=base_layers,
        coverage=coverage,
        **_scanner_results(inventory, scanners, analyzers),
    )


def _analyzers(scanners: Collection[str], secret_config: str | os.PathLike[str] | None) -> list[Any]:
    analyzers: list[Any] = []
    if "secret" in scanners:
        from seawall.secrets import SecretAnalyzer, load_rules

        analyzers.append(SecretAnalyzer(load_rules(secret_config)))  # a bad config fails before any layer is read
    if "config" in scanners:
        from seawall.config_checks import FsFactsAnalyzer

        analyzers.append(FsFactsAnalyzer())
    return analyzers


def _scanner_results(inventory: Inventory, scanners: Collection[str], analyzers: list[Any]) -> dict[str, Any]:
    """The `ScanReport` fields filled by the scanners besides "vuln"; a scanner that did not run leaves None.
    `inventory.derived`: what `_restore` read back from an earlier scan of the image (then it has no layers)."""
    # Reports say which scanners ran: "no vulnerabilities" must not be written when none were looked for.
    out: dict[str, Any] = {"scanners": tuple(name for name in SCANNERS if name in scanners)}
    kept = inventory.derived
    derived = kept if kept is not None else _derive(inventory, scanners, analyzers)
    if "secret" in scanners:
        from seawall.secrets import SecretAnalyzer, secret_findings

        analyzer = next(a for a in analyzers if isinstance(a, SecretAnalyzer))
        out["secrets"] = tuple(secret_findings(inventory, analyzer, derived["secrets"]))
    if "config" in scanners:
        out["config"], out["minimality"] = derived["config"], derived["minimality"]
    if kept is None and inventory.keep_derived is not None:
        from seawall.model.serialize import to_data

        inventory.keep_derived({name: to_data(value) for name, value in derived.items()})
    return out


def _derive(inventory: Inventory, scanners: Collection[str], analyzers: list[Any]) -> dict[str, Any]:
    """What the secret and configuration scanners derive from the layers: the layers' secrets before allow lists,
    the configuration findings and the minimality summary."""
    derived: dict[str, Any] = {}
    if "secret" in scanners:
        from seawall.secrets import SecretAnalyzer, layer_secret_findings

        derived["secrets"] = tuple(layer_secret_findings(
            inventory, next(a for a in analyzers if isinstance(a, SecretAnalyzer))))
    if "config" in scanners:
        from seawall.config_checks import config_findings
        from seawall.minimality import minimality

        derived["config"] = tuple(config_findings(inventory))
        derived["minimality"] = minimality(inventory)
    return derived


def _restore(data: dict[str, Any], scanners: Collection[str]) -> dict[str, Any] | None:
    """`_derive`'s results as stored by an earlier scan; None when the entry lacks one or does not read back."""
    from seawall.model.extra import ConfigFinding, Minimality, SecretFinding
    from seawall.model.serialize import from_data, well_typed

    try:
        out: dict[str, Any] = {}
        if "secret" in scanners:
            out["secrets"] = tuple(from_data(SecretFinding, item) for item in data["secrets"])
        if "config" in scanners:
            out["config"] = tuple(from_data(ConfigFinding, item) for item in data["config"])
            out["minimality"] = from_data(Minimality, data["minimality"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    records = [*out.get("secrets", ()), *out.get("config", ()), *([out["minimality"]] if "minimality" in out else [])]
    return out if all(well_typed(record) for record in records) else None


def mark_base(finding: Finding, base_layers: int) -> Finding:
    index = finding.package.layer_index
    if index is None:
        return finding
    return dataclasses.replace(finding, in_base_image=index < base_layers)


def base_layer_count(image: Image, base_image: str | None, fetch: FetchOptions) -> tuple[str | None, int | None]:
    """How many of the image's bottom layers are its base image's: from a supplied base, else the OCI base
    annotations. (None, None) when neither says."""
    name = base_image
    if name is None:
        annotated, digest = image.annotations.get(BASE_NAME), image.annotations.get(BASE_DIGEST)
        if not annotated:
            return None, None
        name = f"{annotated.split('@')[0]}@{digest}" if digest else annotated
    from seawall.image.open import open_source

    try:
        with open_source(name, fetch.for_platform(fetch.platform or str(image.platform))) as source:
            base = source.resolve()
    except SeawallError:
        if base_image is not None:
            raise  # the user named it: not finding it is an error, not a silent unknown
        return name, None
    shared = 0
    for mine, theirs in zip(image.layers, base.layers, strict=False):
        if mine.diff_id != theirs.diff_id:
            break
        shared += 1
    return name, shared
