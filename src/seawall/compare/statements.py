"""What the distribution itself says about a disputed finding, in words a team can send back, with its page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seawall.compare import Row, Statement
from seawall.match.targets import target_for
from seawall.model.ecosystem import advisory_url, display_name
from seawall.model.vuln import Advisory, Severity, Status

if TYPE_CHECKING:
    from seawall.compare.explain import Explainer

_STATUS_WORDS = {
    Status.FIXED: "fixed",
    Status.AFFECTED: "vulnerable, no fix yet",
    Status.NOT_AFFECTED: "not affected",
    Status.UNDETERMINED: "not yet triaged",
    Status.MINOR: "a minor issue, to be fixed in a point release if at all (no-dsa)",
    Status.WILL_NOT_FIX: "will not be fixed in this release (no-dsa, ignored)",
    Status.FIX_DEFERRED: "fix postponed to a later point release (no-dsa, postponed)",
    Status.NEGLIGIBLE: "unimportant (not treated as a security issue)",
    Status.UNSUPPORTED: "out of security support (end-of-life package)",
}
# Tools' status words (Trivy Status, Grype fix.state, CycloneDX analysis) in seawall's vocabulary.
_TOOL_STATUS = {
    **{status.value: status for status in Status},
    "fixed": Status.FIXED, "affected": Status.AFFECTED, "not-fixed": Status.AFFECTED,
    "not_affected": Status.NOT_AFFECTED, "not-affected": Status.NOT_AFFECTED, "unaffected": Status.NOT_AFFECTED,
    "will_not_fix": Status.WILL_NOT_FIX, "wont-fix": Status.WILL_NOT_FIX, "won't fix": Status.WILL_NOT_FIX,
    "fix_deferred": Status.FIX_DEFERRED, "end_of_life": Status.UNSUPPORTED,
    "under_investigation": Status.UNDETERMINED, "unknown": Status.UNDETERMINED,
}


def describe_status(status: Status) -> str:
    return _STATUS_WORDS[status]


def tool_status(stated: str | None, severity: Severity) -> Status | None:
    """A tool's status word as seawall's Status; a Negligible rating keeps Debian's "unimportant" state."""
    if severity is Severity.NEGLIGIBLE:
        return Status.NEGLIGIBLE
    return _TOOL_STATUS.get((stated or "").strip().lower())


def link(namespace: str, vuln_id: str, advisory_id: str | None = None) -> str:
    return advisory_url(namespace, vuln_id) or f"https://osv.dev/vulnerability/{advisory_id or vuln_id}"


def _advisory_text(adv: Advisory, package: str, release: str) -> str:
    text = f"{package}{release}: {describe_status(adv.status)}"
    if adv.status is Status.FIXED and adv.fixed_versions:
        text = f"{package}{release}: fixed in {', '.join(adv.fixed_versions)}"
    if adv.severity is not None and adv.severity_source:
        word = "urgency" if adv.severity_source == "debian" else "severity"
        value = "unimportant" if word == "urgency" and adv.severity is Severity.NEGLIGIBLE else adv.severity.value
        text += f" ({word} {value}{', not yet assigned' if adv.severity_provisional else ''})"
    note = adv.vendor("nodsa")
    if note:
        text += f"; note: {note}"
    return text


def statement_for(row: Row, explainer: Explainer) -> Statement | None:
    """The advisory seawall's DB holds for the row's package, else where the id is listed at all."""
    package = row.package
    if package is not None and package.owned_by:
        package = explainer.by_purl.get(package.owned_by, package)
    target = target_for(package, explainer.distro) if package is not None else None
    release = explainer.release_words() if target is not None and target.matcher == "distro-source" else ""
    if target is not None:
        found = explainer.advisories(target.namespace, target.name, row.ids)
        if found:
            adv = sorted(found, key=lambda a: (not a.id.startswith("CVE-"), a.id))[0]
            name = display_name(target.namespace.split(":")[0]) or target.namespace
            source = name if target.matcher == "distro-source" else f"{adv.feed} ({name})"
            return Statement(source=target.namespace, text=f"{source} — {_advisory_text(adv, target.name, release)}",
                             url=link(target.namespace, row.vulnerability, adv.id))
        namespace = target.namespace
        name = display_name(namespace.split(":")[0]) or namespace
        return Statement(source=namespace, text=f"{name} — no entry for {row.vulnerability} in {target.name}",
                         url=link(namespace, row.vulnerability) if target.matcher == "distro-source" else None)
    if explainer.namespace:
        name = display_name(explainer.namespace.split(":")[0]) or explainer.namespace
        return Statement(source=explainer.namespace, text=f"{name} — no package {row.package_name} in the image",
                         url=link(explainer.namespace, row.vulnerability))
    return None
