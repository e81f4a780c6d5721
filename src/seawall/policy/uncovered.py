"""Packages the DB could not judge, as finding rules see them: undecided unless the policy accepts them
(`coverage: {allow: [...]}` globs over namespaces, or the rule option `uncovered: ignore`)."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from seawall.model.finding import ScanReport
from seawall.model.policy import Violation

if TYPE_CHECKING:
    from seawall.policy.rules import FindingScope


def _allowed(namespace: str, globs: Sequence[str]) -> bool:
    return any(fnmatchcase(namespace, g) or fnmatchcase(namespace.removeprefix("vendor:"), g) for g in globs)


def unchecked(report: ScanReport, scope: FindingScope) -> tuple[dict[str, int], dict[str, int]]:
    """Packages the DB could not judge, per namespace, that the rule's scope looks at: (not accepted, accepted)."""
    refused: dict[str, int] = {}
    accepted: dict[str, int] = {}
    if report.coverage is None:
        return refused, accepted
    for package in report.coverage.uncovered:
        if (not scope.include_base and report.base_layers is not None and package.layer_index is not None
                and package.layer_index < report.base_layers):
            continue
        into = accepted if scope.uncovered == "ignore" or _allowed(package.namespace, scope.coverage_allow) \
            else refused
        into[package.namespace] = into.get(package.namespace, 0) + 1
    return refused, accepted


def uncovered_violations(rule: str, report: ScanReport, scope: FindingScope) -> list[Violation]:
    """A finding rule over packages nothing was checked for cannot say they are clean: undecided."""
    refused, _ = unchecked(report, scope)
    if not refused:
        return []
    count = sum(refused.values())
    reasons = {n.namespace: n.reason for n in report.coverage.namespaces} if report.coverage else {}
    detail = "; ".join(f"{ns} ({n}): {reasons.get(ns) or 'no advisories'}" for ns, n in sorted(refused.items()))
    return [Violation(rule, f"{count} package{'' if count == 1 else 's'} could not be checked: {detail}",
                      "update the DB with a feed that covers them (`seawall db update`), or accept them in the "
                      f"policy: `coverage: {{allow: [{', '.join(repr(ns) for ns in sorted(refused))}]}}` or the "
                      "rule option `uncovered: ignore`", undecided=True)]


def uncovered_notes(report: ScanReport, scope: FindingScope) -> list[str]:
    _, accepted = unchecked(report, scope)
    return [f"{n} package{'' if n == 1 else 's'} in {ns} not checked (the DB has no data for them); the policy "
            "accepts that" for ns, n in sorted(accepted.items())]
