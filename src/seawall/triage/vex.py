"""VEX documents in (OpenVEX v0.2.0, CycloneDX VEX) as suppressions: `not_affected` and `fixed` suppress,
`affected` and `under_investigation` only annotate. The finding always stays in the report."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.model.extra import VexNote
from seawall.model.finding import Finding, ScanReport, Suppression
from seawall.triage.targets import parse_purl, purl_matches

MAX_BYTES = 64 * 1024 * 1024
SUPPRESSING = ("not_affected", "fixed")
OPENVEX_STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
# CycloneDX analysis.state → OpenVEX status
CDX_STATES = {
    "not_affected": "not_affected",
    "false_positive": "not_affected",
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "exploitable": "affected",
    "in_triage": "under_investigation",
}
# CycloneDX analysis.justification → the nearest OpenVEX justification (the original is kept in the reason)
CDX_JUSTIFICATIONS = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "component_not_present",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}


class VexError(InputError):
    """A VEX document that cannot be read."""


@dataclass(frozen=True)
class Product:
    """What a statement is about: a package (purl), or an image (pkg:oci purl or bare digest) optionally
    narrowed to some of its packages."""

    id: str
    subcomponents: tuple[str, ...] = ()


@dataclass(frozen=True)
class VexStatement:
    """One VEX statement about one vulnerability, from an OpenVEX or CycloneDX file: its status, products and reason."""

    ids: tuple[str, ...]  # vulnerability name first, then aliases
    status: str  # OpenVEX vocabulary
    products: tuple[Product, ...]
    source: str  # the file
    locator: str  # statement @id, or FILE#statements[N]
    order: tuple[str, int]  # (timestamp, position): later statements about the same thing win
    justification: str | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    detail: str | None = None  # CycloneDX analysis.detail / the original justification

    @property
    def suppresses(self) -> bool:
        return self.status in SUPPRESSING

    def reason(self) -> str:
        parts = [self.status, self.justification, self.impact_statement or self.detail]
        return ": ".join(p for p in parts if p)


def load_vex(path: str | os.PathLike[str]) -> list[VexStatement]:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise VexError(f"VEX document {path} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise VexError(f"VEX document {path} does not exist", remedy="checking the path") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise VexError(f"cannot read VEX document {path}: {err}",
                       remedy="passing an OpenVEX or CycloneDX VEX JSON file") from err
    if not isinstance(doc, dict):
        raise VexError(f"{path} is not a VEX document (not a JSON object)")
    context = str(doc.get("@context", ""))
    if "openvex" in context:
        return list(_openvex(doc, str(path)))
    if doc.get("bomFormat") == "CycloneDX" or "vulnerabilities" in doc:
        return list(_cyclonedx(doc, str(path)))
    raise VexError(f"{path} is neither OpenVEX (@context …openvex…) nor CycloneDX (bomFormat CycloneDX)",
                   remedy="passing an OpenVEX v0.2.0 or CycloneDX 1.4+ VEX document")


def load_vex_files(paths: Iterable[str | os.PathLike[str]]) -> list[VexStatement]:
    return [s for p in paths for s in load_vex(p)]


def _openvex(doc: dict[str, Any], path: str) -> Iterable[VexStatement]:
    statements = doc.get("statements")
    if not isinstance(statements, list):
        raise VexError(f"{path}: OpenVEX document has no `statements` list")
    doc_time = str(doc.get("timestamp") or "")
    for n, st in enumerate(statements):
        where = f"{path}#statements[{n}]"
        if not isinstance(st, dict):
            raise VexError(f"{where}: a statement must be an object")
        vuln = st.get("vulnerability")
        if isinstance(vuln, str):  # OpenVEX before v0.2.0 named the vulnerability with a plain string
            ids: list[str] = [vuln]
        elif isinstance(vuln, dict) and isinstance(vuln.get("name"), str):
            ids = [vuln["name"], *(a for a in vuln.get("aliases") or () if isinstance(a, str))]
        else:
            raise VexError(f"{where}: `vulnerability` needs a `name`")
        status = st.get("status")
        if status not in OPENVEX_STATUSES:
            raise VexError(f"{where}: unknown status {status!r}", remedy=f"using one of {', '.join(OPENVEX_STATUSES)}")
        products = tuple(_openvex_products(st.get("products") or [], where))
        yield VexStatement(
            ids=tuple(ids), status=status, products=products, source=path,
            locator=str(st.get("@id") or where), order=(str(st.get("timestamp") or doc_time), n),
            justification=st.get("justification"), impact_statement=st.get("impact_statement"),
            action_statement=st.get("action_statement"), detail=st.get("status_notes"))


def _openvex_products(raw: Any, where: str) -> Iterable[Product]:
    if not isinstance(raw, list):
        raise VexError(f"{where}: `products` must be a list")
    for product in raw:
        if not isinstance(product, dict):
            raise VexError(f"{where}: a product must be an object")
        ident = product.get("@id") or (product.get("identifiers") or {}).get("purl")
        subs = tuple(str(s.get("@id") or (s.get("identifiers") or {}).get("purl") or "")
                     for s in product.get("subcomponents") or () if isinstance(s, dict))
        if ident:
            yield Product(str(ident), tuple(s for s in subs if s))


def _cyclonedx(doc: dict[str, Any], path: str) -> Iterable[VexStatement]:
    refs: dict[str, str] = {}
    for component in _components(doc):
        ref, purl = component.get("bom-ref"), component.get("purl")
        if isinstance(ref, str) and isinstance(purl, str):
            refs[ref] = purl
    doc_time = str((doc.get("metadata") or {}).get("timestamp") or "")
    for n, vuln in enumerate(doc.get("vulnerabilities") or ()):
        where = f"{path}#vulnerabilities[{n}]"
        if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
            raise VexError(f"{where}: a vulnerability needs an `id`")
        analysis = vuln.get("analysis") or {}
        state = analysis.get("state")
        if state is None:
            continue  # a plain vulnerability listing, not a VEX statement
        if state not in CDX_STATES:
            raise VexError(f"{where}: unknown analysis.state {state!r}",
                           remedy=f"using one of {', '.join(CDX_STATES)}")
        ids = [vuln["id"], *(r["id"] for r in vuln.get("references") or ()
                             if isinstance(r, dict) and isinstance(r.get("id"), str))]
        products = tuple(Product(_resolve_ref(str(a["ref"]), refs)) for a in vuln.get("affects") or ()
                         if isinstance(a, dict) and a.get("ref"))
        raw_just = analysis.get("justification")
        detail = "; ".join(p for p in (raw_just, analysis.get("detail")) if p) or None
        if state == "false_positive":
            detail = "; ".join(p for p in ("false_positive", detail) if p)
        yield VexStatement(
            ids=tuple(ids), status=CDX_STATES[state], products=products, source=path,
            locator=str(vuln.get("bom-ref") or where),
            order=(str(analysis.get("lastUpdated") or analysis.get("firstIssued") or doc_time), n),
            justification=CDX_JUSTIFICATIONS.get(raw_just) if raw_just else None,
            action_statement="; ".join(analysis.get("response") or ()) or None, detail=detail)


def _components(doc: dict[str, Any]) -> Iterable[dict[str, Any]]:
    top = (doc.get("metadata") or {}).get("component")
    stack = [*([top] if top else []), *(doc.get("components") or [])]
    while stack:
        component = stack.pop()
        if isinstance(component, dict):
            yield component
            stack.extend(component.get("components") or [])


def _resolve_ref(ref: str, refs: dict[str, str]) -> str:
    """A bom-ref of this document, a BOM-Link (urn:cdx:serial/version#bom-ref) or a purl → what it names."""
    if ref in refs:
        return refs[ref]
    if ref.startswith("urn:cdx:") and "#" in ref:
        fragment = ref.split("#", 1)[1]
        from urllib.parse import unquote

        fragment = unquote(fragment)
        return refs.get(fragment, fragment)
    return ref


# -- matching --------------------------------------------------------------------------------------------------

def _image_digests(report: ScanReport) -> set[str]:
    image = report.sbom.image
    digests = {d for d in (image.digest, image.index_digest) if d}
    digests.update(r.split("@", 1)[1] for r in image.repo_digests if "@" in r)
    return digests


def _names_image(product_id: str, digests: set[str]) -> bool | None:
    """True/False when `product_id` names an image (pkg:oci purl or a digest); None when it names a package."""
    if product_id.startswith(("sha256:", "sha512:")):
        return product_id in digests
    if "@sha256:" in product_id and not product_id.startswith("pkg:"):
        return product_id.rsplit("@", 1)[1] in digests  # registry/repo@sha256:…
    purl = parse_purl(product_id)
    if purl is not None and purl.type == "oci":
        return purl.version in digests if purl.version else False
    return None


def statement_matches(statement: VexStatement, finding: Finding, digests: set[str]) -> bool:
    ids = {i.upper() for i in finding.ids}
    if not ids.intersection(i.upper() for i in statement.ids):
        return False
    if not statement.products:
        return False  # a statement about nothing in particular is not applied to everything
    for product in statement.products:
        image = _names_image(product.id, digests)
        if image is None:
            if purl_matches(product.id, finding.package):
                return True
        elif image and (not product.subcomponents
                        or any(purl_matches(sub, finding.package) for sub in product.subcomponents)):
            return True
    return False


def apply_vex(report: ScanReport, statements: Sequence[VexStatement]) -> tuple[ScanReport, dict[str, int]]:
    """Suppress findings the newest matching statement calls not_affected/fixed; affected and
    under_investigation statements are recorded in `report.vex_notes`. Returns (report, uses per statement)."""
    if not statements:
        return report, {}
    digests = _image_digests(report)
    used: dict[str, int] = {}
    annotations: list[VexNote] = list(report.vex_notes)
    findings: list[Finding] = []
    for finding in report.findings:
        matching = [s for s in statements if statement_matches(s, finding, digests)]
        if not matching:
            findings.append(finding)
            continue
        latest = max(matching, key=lambda s: s.order)
        used[latest.locator] = used.get(latest.locator, 0) + 1
        if latest.suppresses:
            suppression = Suppression(kind="vex", rule=latest.locator, reason=latest.reason(), source=latest.source,
                                      justification=latest.justification, vex_status=latest.status)
            findings.append(dataclasses.replace(finding, suppressions=(*finding.suppressions, suppression)))
            continue
        annotations.append(VexNote(id=finding.id, package=finding.package.name, version=finding.package.version,
                                   status=latest.status, statement=latest.locator, source=latest.source,
                                   action=latest.action_statement or latest.impact_statement or latest.detail))
        findings.append(finding)
    return dataclasses.replace(report, findings=tuple(findings), vex_notes=tuple(annotations)), used
