"""apt's repository configuration and index files: one-line `sources.list` entries, deb822 `.sources` paragraphs,
and the `Packages` indexes apt keeps in /var/lib/apt/lists (named by apt's URItoFileName)."""

from __future__ import annotations

import gzip
import io
import lzma
import re
from collections.abc import Iterator
from urllib.parse import unquote

import lz4.frame

from seawall.catalog.dpkg import ControlError, paragraph_blocks, parse_paragraph
from seawall.model.repository import PackageOrigin, Repository

SOURCES_LIST = "/etc/apt/sources.list"
SOURCES_DIR = "/etc/apt/sources.list.d/"
LISTS_DIR = "/var/lib/apt/lists/"
INDEX_SUFFIXES = ("_Packages", "_Packages.gz", "_Packages.xz", "_Packages.lz4")  # apt in Debian images: lz4
_OPTIONS = re.compile(r"^\[[^\]]*\]\s*")
_ARCH = re.compile(r"^binary-[A-Za-z0-9-]+$")


class SourcesError(ValueError):
    """A sources entry apt itself would reject."""


def parse_one_line(text: str, path: str) -> list[Repository]:
    """`deb [signed-by=…] https://nginx.org/packages/debian bookworm nginx`; `deb-src` lines are not installed from."""
    repos: list[Repository] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        if kind not in ("deb", "deb-src"):
            raise SourcesError(f"{path} line {number}: not a deb or deb-src line: {line[:60]!r}")
        rest = _OPTIONS.sub("", rest.strip())
        words = rest.split()
        if len(words) < 2:
            raise SourcesError(f"{path} line {number}: a {kind} line needs a URI and a suite")
        if kind == "deb":
            repos.append(Repository("apt", words[0], path, suites=(words[1],), components=tuple(words[2:])))
    return repos


def parse_deb822(text: str, path: str) -> list[Repository]:
    """deb822 `.sources` paragraphs (sources.list(5)): Types, URIs, Suites, Components, Enabled."""
    repos: list[Repository] = []
    for first, lines in paragraph_blocks(text):
        if all(line.lstrip().startswith("#") for line in lines):
            continue
        try:
            fields = {k.lower(): v for k, v in parse_paragraph(first, lines).items()}
        except ControlError as error:
            raise SourcesError(f"{path}: {error}") from error
        if "deb" not in fields.get("types", "").split():
            continue
        uris, suites = fields.get("uris", "").split(), tuple(fields.get("suites", "").split())
        if not uris or not suites:
            raise SourcesError(f"{path} line {first}: a deb paragraph without URIs or Suites")
        enabled = fields.get("enabled", "yes").strip().lower() not in ("no", "false", "0")
        components = tuple(fields.get("components", "").split())
        repos.extend(Repository("apt", uri, path, suites=suites, components=components, enabled=enabled)
                     for uri in uris)
    return repos


def index_repository(path: str) -> Repository | None:
    """The repository an index in /var/lib/apt/lists serves, from its name:
    `nginx.org_packages_mainline_debian_dists_bookworm_nginx_binary-amd64_Packages` → nginx.org/packages/mainline/
    debian, suite bookworm, component nginx. apt quotes `_` in URIs as %5f, so `_` only ever separates parts."""
    name = path.rpartition("/")[2]
    stem = next((name[: -len(s)] for s in INDEX_SUFFIXES if name.endswith(s)), None)
    if not stem:
        return None
    parts = [unquote(p) for p in stem.split("_")]
    if "dists" not in parts:
        return Repository("apt-list", "/".join(parts), path)  # a flat repository (`deb uri ./`)
    at = parts.index("dists")
    rest = parts[at + 1 :]
    if rest and _ARCH.match(rest[-1]):
        rest = rest[:-1]
    component = rest[-1:] if len(rest) > 1 else []
    suite = "/".join(rest[:-1] if component else rest)
    return Repository("apt-list", "/".join(parts[:at]), path, suites=(suite,) if suite else (),
                      components=tuple(component))


def read_index(path: str, data: bytes, limit: int) -> bytes:
    """The index's text, decompressed; a compressed index growing past `limit` bytes is hostile."""
    if path.endswith(".gz"):
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            data = handle.read(limit + 1)
    elif path.endswith(".xz"):
        data = lzma.LZMADecompressor().decompress(data, max_length=limit + 1)
    elif path.endswith(".lz4"):
        data = lz4.frame.LZ4FrameDecompressor().decompress(data, max_length=limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path} is larger than {limit} bytes uncompressed")
    return data


def index_entries(text: str) -> Iterator[tuple[str, str, str]]:
    """(Package, Version, Architecture) of each stanza of a `Packages` index. A line scan rather than a deb822 parse:
    a distribution's index holds 60,000 stanzas of which only these three fields matter here."""
    name = version = arch = ""
    for line in text.splitlines():
        if not line.strip():
            if name and version:
                yield name, version, arch
            name = version = arch = ""
        elif line.startswith("Package:"):
            name = line[8:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
        elif line.startswith("Architecture:"):
            arch = line[13:].strip()
    if name and version:
        yield name, version, arch


def index_origins(repo: Repository, text: str) -> list[PackageOrigin]:
    return [PackageOrigin("apt-list", name, version, repo.url, arch) for name, version, arch in index_entries(text)]
