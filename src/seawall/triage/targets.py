"""What a triage rule can point at: packages by name, purl or source package, and images by name glob."""

from __future__ import annotations

import re
from functools import lru_cache

from packageurl import PackageURL

from seawall.model.finding import ScanReport
from seawall.model.sbom import Package


def parse_purl(text: str) -> PackageURL | None:
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def purl_matches(pattern: str, package: Package) -> bool:
    """A rule's purl names `package` when type, namespace and name agree, and the version and every qualifier
    the rule states agree too (a rule without a version covers every version). A purl names a binary package,
    as the purl spec says; rules name source packages with their own key."""
    want = parse_purl(pattern)
    if want is None or not package.purl:
        return False
    have = parse_purl(package.purl)
    if have is None or want.type != have.type:
        return False
    if want.namespace and have.namespace and want.namespace.lower() != have.namespace.lower():
        return False
    if want.name != have.name:
        return False
    if want.version and want.version != (have.version or package.version):
        return False
    have_q = have.qualifiers if isinstance(have.qualifiers, dict) else {}
    want_q = want.qualifiers if isinstance(want.qualifiers, dict) else {}
    return all(have_q.get(key) == value for key, value in want_q.items())


def strip_version(purl: str) -> str:
    parsed = parse_purl(purl)
    if parsed is None:
        return purl
    return PackageURL(type=parsed.type, namespace=parsed.namespace, name=parsed.name).to_string()


def source_of(package: Package) -> str:
    """The package advisories are written against: the source package for OS packages, else the package."""
    return package.source_name or package.name


# -- images ----------------------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _image_glob(pattern: str) -> re.Pattern[str]:
    # `*` stays inside one path segment, `**` crosses them; fnmatch would let `*` cross `/`.
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def image_names(report: ScanReport) -> tuple[str, ...]:
    """Every name the scanned image answers to: registry/repository, the familiar short form, and the source."""
    image = report.sbom.image
    names: list[str] = []
    if image.ref is not None:
        names.append(image.ref.name)
        if image.ref.registry == "docker.io":
            repo = image.ref.repository
            names.append(repo.removeprefix("library/"))
            names.append(repo)
    source = image.source
    if source and not source.startswith(("dir:", "oci:", "oci-archive:", "docker-archive:", "sbom:")):
        names.append(strip_tag(source))
    return tuple(dict.fromkeys(n for n in names if n))


def strip_tag(reference: str) -> str:
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name


def image_matches(pattern: str, names: tuple[str, ...]) -> bool:
    regex = _image_glob(pattern)
    return any(regex.match(name) for name in names)


def repository_of(report: ScanReport) -> str | None:
    """registry/repository of the scanned image, when it came from (or was named after) a registry."""
    image = report.sbom.image
    if image.ref is not None:
        return image.ref.name
    return None
