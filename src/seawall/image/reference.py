"""Image references parsed and normalised as Docker does (distribution/reference grammar)."""

from __future__ import annotations

import re

from seawall.blobs.readers import DIGEST_RE
from seawall.errors import ImageReferenceError
from seawall.model.image import ImageRef

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

# The grammar of github.com/distribution/reference (regexp.go), kept to the same alternatives.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})(?::[0-9]+)?"
_PATH_RE = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN_RE = re.compile(_DOMAIN)
TAG_RE = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-zA-Z=_-]+")
_MAX_NAME = 255


def parse_reference(text: str) -> ImageRef:
    """`python` → docker.io/library/python:latest; `host:5000/a/b:tag`; `name@sha256:…`; `name:tag@sha256:…`."""
    original = text
    text = text.strip()
    if not text:
        raise ImageReferenceError("empty image reference", remedy="an image name such as python:3.12-slim")
    if any(ch.isspace() for ch in text):
        raise ImageReferenceError(f"invalid image reference {original!r}: contains whitespace")
    name, _, digest = text.partition("@")
    digest_value: str | None = None
    if "@" in text:
        digest_value = check_digest(digest, original)
    tag: str | None = None
    # A tag is whatever follows the last ':' that comes after the last '/', so host:port is left alone.
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not TAG_RE.fullmatch(tag):
            raise ImageReferenceError(
                f"invalid tag {tag!r} in image reference {original!r}",
                remedy="a tag of letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-')")
    registry, repository = _split_domain(name, original)
    if not tag and not digest_value:
        tag = "latest"
    return ImageRef(registry=registry, repository=repository, tag=tag, digest=digest_value)


def check_digest(digest: object, context: str | None = None) -> str:
    """Return `digest` if it is a sha256/sha512 digest of the right length, else raise ImageReferenceError."""
    where = f" in {context!r}" if context else ""
    if not isinstance(digest, str):  # a manifest is hostile input: a missing or non-string digest is an error too
        raise ImageReferenceError(f"invalid digest {digest!r}{where}",
                                  remedy="sha256: followed by 64 lowercase hex digits")
    if DIGEST_RE.fullmatch(digest):
        return digest
    if not _DIGEST_SHAPE.fullmatch(digest):
        raise ImageReferenceError(f"invalid digest {digest!r}{where}",
                                  remedy="sha256: followed by 64 lowercase hex digits")
    algorithm, _, hexpart = digest.partition(":")
    if algorithm not in ("sha256", "sha512"):
        raise ImageReferenceError(f"unsupported digest algorithm {algorithm!r}{where}",
                                  remedy="a sha256 digest")
    want = 64 if algorithm == "sha256" else 128
    raise ImageReferenceError(
        f"invalid digest {digest!r}{where}: {algorithm} needs {want} lowercase hex digits, got {len(hexpart)}")


def _split_domain(name: str, original: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    # Docker's rule: the first component is a registry host only if it looks like one.
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        domain, remainder = first, rest
        if not _DOMAIN_RE.fullmatch(domain):
            raise ImageReferenceError(f"invalid registry host {domain!r} in image reference {original!r}")
        domain = DOCKER_HUB if domain.lower() in _HUB_ALIASES else domain
    else:
        domain, remainder = DOCKER_HUB, name
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = f"library/{remainder}"
    if remainder != remainder.lower():
        raise ImageReferenceError(f"invalid image reference {original!r}: repository name must be lowercase",
                                  remedy=f"{remainder.lower()!r}")
    if not remainder or not _PATH_RE.fullmatch(remainder):
        raise ImageReferenceError(
            f"invalid repository name {remainder!r} in image reference {original!r}",
            remedy="lowercase letters, digits and separators ('.', '_', '__', '-') between '/'-separated parts")
    if len(domain) + 1 + len(remainder) > _MAX_NAME:
        raise ImageReferenceError(f"image name in {original!r} is longer than {_MAX_NAME} characters")
    return domain, remainder


def registry_api_host(registry: str) -> str:
    """The host that serves the /v2/ API for `registry`: Docker Hub's name differs from its API host."""
    return DOCKER_HUB_API if registry in _HUB_ALIASES else registry


def with_digest(ref: ImageRef, digest: str) -> ImageRef:
    return ImageRef(ref.registry, ref.repository, ref.tag, digest)


def familiar_name(ref: ImageRef) -> str:
    """The short form people write: python:3.12 for docker.io/library/python:3.12."""
    text = str(ref)
    if ref.registry == DOCKER_HUB:
        text = text.removeprefix("docker.io/").removeprefix("library/")
    return text
