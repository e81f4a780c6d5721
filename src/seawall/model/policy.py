"""What the gate concludes: violations that each say what to do, and one verdict that is never a silent pass."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from seawall.errors import ExitCode


class Decision(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNDECIDED = "undecided"  # the gate could not judge (DB missing or too old, baseline unreadable…): never a pass


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, about which finding (if any), and the remedy a person can act on."""

    rule: str  # the rule as written in the policy: "severity >= high (vendor)", "kev", "db-age <= 24h"…
    message: str
    remedy: str
    finding_id: str | None = None
    aliases: tuple[str, ...] = ()
    package: str | None = None  # name@version
    purl: str | None = None
    undecided: bool = False  # the rule could not be checked with what is known: the verdict is UNDECIDED
    platform: str | None = None  # the platform of a multi-platform image it was found in


@dataclass(frozen=True)
class PlatformVerdict:
    """The verdict on one platform of a multi-platform image (an image index)."""

    platform: str
    digest: str
    decision: Decision
    findings: int = 0
    suppressed: int = 0
    violations: int = 0
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The gate's decision on one image, with every violation, what it could not check, and the data it judged with."""

    decision: Decision
    target: str
    policy: str  # the policy file (or name)
    violations: tuple[Violation, ...] = ()
    notes: tuple[str, ...] = ()  # rules not checked, expired allowlist entries, …
    errors: tuple[str, ...] = ()  # why the gate could not decide
    image_digest: str | None = None
    repository: str | None = None
    evaluated_at: str | None = None
    db_built_at: str | None = None
    baseline: str | None = None  # where the baseline came from, when one was used
    findings: int = 0
    suppressed: int = 0
    uncovered: tuple[str, ...] = ()  # namespaces with packages the DB could not judge (allowed ones included)
    uncovered_packages: int = 0
    platforms: tuple[PlatformVerdict, ...] = ()  # for an image index: every platform judged, each on its own

    @property
    def passed(self) -> bool:
        return self.decision is Decision.PASS

    @property
    def exit_code(self) -> ExitCode:
        return {Decision.PASS: ExitCode.OK, Decision.FAIL: ExitCode.FINDINGS,
                Decision.UNDECIDED: ExitCode.UNDECIDED}[self.decision]
