"""Policy rules about the image itself rather than its findings: where it comes from, what it is built on, whether
it holds secrets, runs as root or is too old. `policy/rules.py` re-exports them beside the finding rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from seawall.model.finding import ScanReport
from seawall.model.policy import Violation
from seawall.triage.targets import image_matches, image_names

OFFICIAL_IMAGES = ("docker.io/library/*",)


def current_time(now: datetime | None) -> datetime:
    """`now` where a rule was given one (tests, replays), else the clock."""
    return now or datetime.now(UTC)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)



@dataclass(frozen=True)
class TrustedSources:
    """The image comes from an allowed registry/repository, and its base is an official (or listed) image."""

    repositories: tuple[str, ...] = ()  # globs over registry/repository; empty: any
    official_base: bool = False
    official_images: tuple[str, ...] = OFFICIAL_IMAGES

    @property
    def name(self) -> str:
        return "trusted-sources"

    def evaluate(self, report: ScanReport) -> list[Violation]:
        out: list[Violation] = []
        names = image_names(report)
        if self.repositories and not any(image_matches(g, names) for g in self.repositories):
            where = names[0] if names else report.sbom.image.source
            out.append(Violation(self.name, f"{where} is not in a trusted repository "
                                 f"({', '.join(self.repositories)})",
                                 "build and push the image to one of the trusted repositories"))
        if self.official_base:
            out.extend(self._base(report))
        return out

    def _base(self, report: ScanReport) -> list[Violation]:
        base = report.base_image
        if not base:
            return [Violation(self.name, "the base image is unknown (no org.opencontainers.image.base.name "
                              "annotation, no --base-image)",
                              "build with the base-name annotation (buildx does with --annotation / "
                              "BUILDX_METADATA) or pass --base-image")]
        base_name = _repository_of(base)
        if not any(image_matches(g, (base_name, base)) for g in self.official_images):
            return [Violation(self.name, f"base image {base} is not an official image "
                              f"({', '.join(self.official_images)})", "rebuild FROM an official base image")]
        if report.base_layers == 0:
            return [Violation(self.name, f"the image claims base {base} but shares no layer with it",
                              "rebuild FROM the base image it names")]
        return []

    def notes(self, report: ScanReport) -> list[str]:
        if self.official_base and report.base_image and report.base_layers is None:
            return [f"base image {report.base_image} could not be read: layer sharing not verified"]
        return []


def _repository_of(reference: str) -> str:
    try:
        from seawall.image.reference import parse_reference

        return parse_reference(reference).name
    except Exception:  # an unparsable name is compared as written
        return reference.split("@", 1)[0]


@dataclass(frozen=True)
class MinimalBase:
    """The image is not built on a denied base image, and holds no more packages than allowed."""

    deny: tuple[str, ...] = ()  # base images not to build on (globs)
    max_packages: int | None = None

    @property
    def name(self) -> str:
        return "minimal-base"

    def evaluate(self, report: ScanReport) -> list[Violation]:
        out = []
        if self.deny and report.base_image:
            base = report.base_image
            if any(image_matches(g, (_repository_of(base), base)) for g in self.deny):
                out.append(Violation(self.name, f"base image {base} is on the deny list",
                                     "rebuild on a smaller base (a -slim, distroless or alpine variant)"))
        count = len(report.sbom.packages)
        if self.max_packages is not None and count > self.max_packages:
            out.append(Violation(self.name, f"the image holds {count} packages, the policy allows "
                                 f"{self.max_packages}", "use a smaller base or a multi-stage build that copies "
                                 "only the runtime"))
        return out

    def notes(self, report: ScanReport) -> list[str]:
        return []


@dataclass(frozen=True)
class NoSecrets:
    """No secret in the image's files or config; when the scan did not look for secrets, a note says so."""

    @property
    def name(self) -> str:
        return "no-secrets"

    def evaluate(self, report: ScanReport) -> list[Violation]:
        out = []
        for item in report.secrets or ():
            kind, where = item.rule_id, item.path
            if item.layer_index is not None:
                where += f" (layer {item.layer_index}" + (
                    f", deleted in layer {item.deleted_in_layer} but still in the image)" if item.deleted else ")")
            out.append(Violation(self.name, f"{kind} found in {where}",
                                 "remove it from the image (and rotate it: it was published)"))
        return out

    def notes(self, report: ScanReport) -> list[str]:
        if report.secrets is None:
            return ["no-secrets: not checked (the scan did not look for secrets)"]
        return []


_ROOT = ("", "root", "0")


@dataclass(frozen=True)
class NoRoot:
    """The image does not run as root: its config sets a `User` that is neither root nor uid 0."""

    @property
    def name(self) -> str:
        return "no-root"

    def _user(self, report: ScanReport) -> str | None:
        image = report.sbom.image
        if not image.config:
            return None
        return str(image.runtime_config.get("User") or "")

    def evaluate(self, report: ScanReport) -> list[Violation]:
        user = self._user(report)
        if user is None:
            return []
        if user.split(":", 1)[0] in _ROOT:
            shown = user or "unset (root)"
            return [Violation(self.name, f"the image runs as user {shown}",
                              "add `USER <non-root uid>` to the Dockerfile")]
        return []

    def notes(self, report: ScanReport) -> list[str]:
        if self._user(report) is None:
            return ["no-root: not checked (the target has no image config)"]
        return []


@dataclass(frozen=True)
class ImageMaxAge:
    """The image was built no longer ago than allowed; a missing creation date leaves the gate undecided."""

    max_days: float
    now: datetime | None = None

    @property
    def name(self) -> str:
        return f"image-age <= {self.max_days:g}d"

    def evaluate(self, report: ScanReport) -> list[Violation]:
        created = parse_time(report.sbom.image.created)
        if created is None:
            return [Violation(self.name, "the image config has no usable `created` date",
                              "build with a creation date (SOURCE_DATE_EPOCH), or drop image-age from the policy",
                              undecided=True)]
        age = (current_time(self.now) - created).total_seconds() / 86400
        if age > self.max_days:
            return [Violation(self.name, f"the image was built {age:.0f} days ago ({report.sbom.image.created}), "
                              f"the policy allows {self.max_days:g}", "rebuild the image to pick up updates")]
        return []

    def notes(self, report: ScanReport) -> list[str]:
        return []
