"""The gate: scan (or take a report), apply triage, judge by a policy, and say pass, fail or undecided.

Anything that keeps the gate from judging (an unreadable policy, allowlist, VEX file, DB or baseline) gives an
UNDECIDED verdict carrying the error: a gate never passes what it could not check.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from seawall.errors import SeawallError, UndecidedError
from seawall.model.finding import ScanReport
from seawall.model.policy import Decision, Verdict, Violation
from seawall.policy.baseline import Baseline, find_local_baseline, load_baseline
from seawall.policy.schema import Policy, load_policy
from seawall.triage import TriageResult, apply_triage
from seawall.triage.allowlist import Allowlist, load_allowlists
from seawall.triage.targets import repository_of
from seawall.triage.vex import VexStatement, load_vex_files


@dataclass
class GateInputs:
    """Everything a gate is told to judge with: policy, allowlists, VEX files, baseline, DB, platform and cache."""

    policy: str | os.PathLike[str]
    allowlists: Sequence[str | os.PathLike[str]] = ()
    vex: Sequence[str | os.PathLike[str]] = ()
    baseline: str | os.PathLike[str] | None = None  # a file; None: the repository's last promotion, if any
    baseline_from: str | None = None  # a registry repository whose published baseline to use
    allow_no_baseline: bool = False  # with baseline_from: a repository without one means "no baseline yet"
    db: str | os.PathLike[str] | None = None
    auto_update: bool = True
    base_image: str | None = None
    platform: str | None = None
    insecure_registries: Sequence[str] = ()
    cache_dir: str | os.PathLike[str] | None = None
    now: datetime | None = None


@dataclass
class Judged:
    """What a gate concluded about one image: the verdict, the triaged report it judged, baseline and triage used."""

    verdict: Verdict
    report: ScanReport | None = None  # the triaged report (None when the gate could not scan)
    baseline: Baseline | None = None
    triage: TriageResult = field(default_factory=TriageResult)


@dataclass(frozen=True)
class Loaded:
    """The policy, allowlists and VEX statements of a gate, read and validated before any scan."""

    policy: Policy
    allowlists: list[Allowlist]
    vex: list[VexStatement]


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")


def undecided(target: str, policy: str, error: SeawallError | str, *, now: datetime | None = None,
              report: ScanReport | None = None) -> Verdict:
    text = error.one_line().removeprefix("error: ") if isinstance(error, SeawallError) else error
    return Verdict(decision=Decision.UNDECIDED, target=target, policy=policy, errors=(text,),
                   evaluated_at=_stamp(now), image_digest=report.sbom.image.digest if report else None,
                   repository=repository_of(report) if report else None)


def load_inputs(inputs: GateInputs) -> Loaded:
    return Loaded(load_policy(inputs.policy), load_allowlists(inputs.allowlists), load_vex_files(inputs.vex))


def resolve_baseline(policy: Policy, report: ScanReport, explicit: str | os.PathLike[str] | None,
                     cache_dir: str | os.PathLike[str] | None, *, baseline_from: str | None = None,
                     allow_no_baseline: bool = False, insecure_registries: Sequence[str] = (),
                     ) -> tuple[Baseline | None, list[str]]:
    """The baseline the policy needs: the named file, else the one published in the `baseline_from` repository,
    else the repository's last promotion from the cache."""
    if explicit is not None:
        return load_baseline(explicit), []
    if baseline_from is not None:
        return _published_baseline(baseline_from, cache_dir, allow_no_baseline, insecure_registries)
    if not policy.uses_baseline:
        return None, []
    repository = repository_of(report)
    if repository is None:
        return None, ["the target has no repository, so no baseline: every finding counts as new"]
    baseline = find_local_baseline(repository, cache_dir)
    if baseline is None:
        return None, [f"{repository} was never promoted from here: every finding counts as new"]
    return baseline, []


def _published_baseline(repository: str, cache_dir: str | os.PathLike[str] | None, allow_missing: bool,
                         insecure_registries: Sequence[str]) -> tuple[Baseline | None, list[str]]:
    from seawall.image.registry.client import RegistryOptions
    from seawall.policy.baseline_registry import BASELINE_TAG, baseline_tag_ref, fetch_baseline_with

    options = RegistryOptions(insecure_registries=frozenset(insecure_registries))
    baseline = fetch_baseline_with(options, repository, cache_dir)
    if baseline is not None:
        return baseline, []
    name = baseline_tag_ref(repository).name
    if not allow_missing:
        raise UndecidedError(f"{name} has no published baseline (no {BASELINE_TAG} tag)",
                             remedy=f"checking the repository name; promoting to {name} once, or passing "
                                    "--allow-no-baseline if it was never promoted")
    return None, [f"{name} has no published baseline yet: every finding counts as new"]


def judge(report: ScanReport, loaded: Loaded, *, target: str, baseline: Baseline | None = None,
          notes: Sequence[str] = (), now: datetime | None = None) -> Judged:
    """Triage then judge one report. Pure: no I/O."""
    triaged, triage = apply_triage(report, loaded.allowlists, loaded.vex, now=now)
    rule = loaded.policy.rule(baseline=baseline, now=now)
    violations: list[Violation] = rule.evaluate(triaged)
    all_notes = [*notes, *triage.notes(), *rule.notes(triaged), *lapsed_notes(triaged, baseline)]
    # A definite violation rejects the image whatever the undecided rules would have said; their reasons still show.
    if any(not v.undecided for v in violations):
        decision = Decision.FAIL
    elif violations:
        decision = Decision.UNDECIDED
    else:
        decision = Decision.PASS
    verdict = Verdict(
        decision=decision, target=target, policy=loaded.policy.path,
        violations=tuple(violations), notes=tuple(dict.fromkeys(all_notes)),
        errors=tuple(v.message for v in violations if v.undecided),
        image_digest=triaged.sbom.image.digest, repository=repository_of(triaged), evaluated_at=_stamp(now),
        db_built_at=triaged.db_built_at, baseline=baseline.origin or baseline.repository if baseline else None,
        findings=len(triaged.findings), suppressed=sum(1 for f in triaged.findings if f.suppressed),
        uncovered=triaged.coverage.uncovered_namespaces if triaged.coverage else (),
        uncovered_packages=triaged.coverage.uncovered_packages if triaged.coverage else 0)
    return Judged(verdict, triaged, baseline, triage)


def lapsed_notes(report: ScanReport, baseline: Baseline | None) -> list[str]:
    """Findings the baseline holds only under a suppression that no longer applies: they count as new again."""
    if baseline is None:
        return []
    out = []
    for finding in report.findings:
        entry = baseline.lapsed(finding)
        if entry is not None:
            out.append(f"{finding.id} in {finding.package.name} entered the baseline {entry.admitted.describe()}; "
                       "that no longer applies, so it counts as new")
    return out


Scanner = Callable[[str], ScanReport]


def run_gate(target: str, inputs: GateInputs, scanner: Scanner | None = None) -> Judged:
    """Load policy and triage files, scan `target`, judge. Every failure to judge is an UNDECIDED verdict.

    A registry image index is judged platform by platform (only `inputs.platform` when given): it passes only
    when every platform does.
    """
    policy_name = str(inputs.policy)
    try:
        loaded = load_inputs(inputs)
    except SeawallError as err:
        return Judged(undecided(target, policy_name, err, now=inputs.now))
    report: ScanReport | None = None
    try:
        if scanner is None and _is_registry(target):
            from seawall.image.reference import parse_reference
            from seawall.image.registry.client import RegistryOptions
            from seawall.policy.platforms import scan_every_platform

            def scan(text: str, platform: str | None) -> ScanReport:
                nonlocal report
                report = _scanner(dataclasses.replace(inputs, platform=platform))(text)
                return report

            options = RegistryOptions(insecure_registries=frozenset(inputs.insecure_registries))
            scanned = scan_every_platform(parse_reference(target), inputs.platform, options, scan)
            reports = scanned.reports
        else:
            scanned, reports = None, [(None, (scanner or _scanner(inputs))(target))]
        report = reports[0][1]
        baseline, notes = resolve_baseline(loaded.policy, report, inputs.baseline, inputs.cache_dir,
                                           baseline_from=inputs.baseline_from,
                                           allow_no_baseline=inputs.allow_no_baseline,
                                           insecure_registries=inputs.insecure_registries)
    except SeawallError as err:
        return Judged(undecided(target, policy_name, err, now=inputs.now, report=report), report)
    if scanned is None or not scanned.children:
        return judge(report, loaded, target=target, baseline=baseline, notes=notes, now=inputs.now)
    from seawall.policy.platforms import combine

    each = [(child, judge(r, loaded, target=f"{target} [{child.platform}]", baseline=baseline, notes=notes,
                          now=inputs.now)) for child, r in reports if child is not None]
    return combine(each, target=target, index_digest=scanned.top.digest)


def _is_registry(target: str) -> bool:
    from seawall.image.open import LOCAL_TRANSPORTS

    transport, sep, _ = target.partition(":")
    return not (sep and (transport in LOCAL_TRANSPORTS or transport == "sbom"))


def _scanner(inputs: GateInputs) -> Scanner:
    from seawall.image.options import FetchOptions
    from seawall.scan import scan_target

    def scan(target: str) -> ScanReport:
        fetch = FetchOptions.of(inputs.platform, inputs.insecure_registries, inputs.cache_dir)
        report = scan_target(target, fetch=fetch,
                             db=Path(inputs.db) if inputs.db else None,
                             auto_update=inputs.auto_update, base_image=inputs.base_image, now=inputs.now)
        return with_db_date(report, inputs.db)

    return scan


def with_db_date(report: ScanReport, db: str | os.PathLike[str] | None) -> ScanReport:
    """Fill `db_built_at` from the DB's own record of its last update when the report lacks it."""
    if report.db_built_at:
        return report
    from seawall.db.store import VulnStore
    from seawall.paths import db_path

    with VulnStore.open(Path(db) if db else db_path()) as store:
        meta = store.meta()
    stamp = meta.get("built_at") or meta.get("updated_at")
    return dataclasses.replace(report, db_built_at=stamp) if stamp else report
