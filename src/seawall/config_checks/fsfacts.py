"""Facts about a layer's entries that configuration checks and minimality need, gathered in the same pass as the
catalogers and cached per layer: special modes, package-manager caches, shells, package managers and compilers.

The analyzer reads no file content (it wants nothing); it looks only at the layer's entry index. To tell later
whether a later layer rewrote a path (a `chmod a-s` hardening step), each layer also records short hashes of its
directories and executables.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from typing import Any

from seawall.catalog.interface import EXEC_BITS, FileEntry
from seawall.fs.layered import IndexEntry
from seawall.fs.tarlayer import DIR, FILE, HARDLINK, SYMLINK
from seawall.inventory.squash import LayerFacts, deletes

SPECIAL_BITS = 0o6000  # setuid | setgid
WORLD_WRITABLE = 0o002
STICKY = 0o1000
MAX_CACHE_PATHS = 5000  # per cache kind per layer; the count and size stay exact beyond it

SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox", "fish", "tcsh", "csh"})
PACKAGE_MANAGERS = frozenset({"apt", "apt-get", "dpkg", "apk", "rpm", "dnf", "yum", "microdnf", "zypper", "pip",
                              "pip3"})
COMPILERS = frozenset({"gcc", "cc", "c++", "g++", "clang", "clang++", "go", "rustc", "javac", "tcc"})
_VERSIONED_TOOL = re.compile(r"(?:[a-z0-9_]+-)*(gcc|g\+\+|clang|clang\+\+|pip3?)(?:[.-]\d+(?:\.\d+)*)?\Z")

# kind → (directory prefix, test on the path below it)
CACHES: dict[str, tuple[str, re.Pattern[str]]] = {
    "apt-archives": ("/var/cache/apt/", re.compile(r"archives/[^/]+\.deb\Z|[^/]+\.bin\Z")),
    "apt-lists": ("/var/lib/apt/lists/", re.compile(r"(?!lock\Z)(?!partial/)[^/]+\Z")),
    "apk-cache": ("/var/cache/apk/", re.compile(r".+")),
    "dnf-yum-cache": ("/var/cache/", re.compile(r"(?:dnf|yum)/.+")),
    "pip-cache": ("/", re.compile(r"(?:root|home/[^/]+)/\.cache/pip/.+")),
    "npm-cache": ("/", re.compile(r"(?:root|home/[^/]+)/\.npm/.+")),
}


def path_hash(path: str) -> bytes:
    return hashlib.blake2b(path.encode(), digest_size=4).digest()


class FsFactsAnalyzer:
    name = "fsfacts"
    version = 1
    max_file_size = 0

    def wants(self, path: str, mode: int, size: int) -> bool:
        return False

    def analyze(self, files: Sequence[FileEntry], entries: Sequence[IndexEntry]) -> dict[str, Any]:
        special: list[list[Any]] = []
        writable: list[list[Any]] = []
        tools: list[list[str]] = []
        caches: dict[str, list[list[Any]]] = {}
        totals: dict[str, list[int]] = {}  # kind → [files, bytes]
        hashes: list[bytes] = []
        regular = 0
        for path, kind, size, mode, _link in entries:
            if kind == FILE:
                regular += 1
            if kind in (FILE, HARDLINK) and mode & SPECIAL_BITS:
                special.append([path, mode])
            if kind in (DIR, FILE) and mode & WORLD_WRITABLE and not mode & STICKY:
                writable.append([path, kind, mode])
            if kind == DIR or (kind in (FILE, HARDLINK) and mode & EXEC_BITS):
                hashes.append(path_hash(path))
            if kind in (FILE, SYMLINK, HARDLINK):
                tool = tool_kind(path)
                if tool:
                    tools.append([path, tool])
            if kind == FILE:
                cache = cache_kind(path)
                if cache:
                    count = totals.setdefault(cache, [0, 0])
                    count[0] += 1
                    count[1] += size
                    if count[0] <= MAX_CACHE_PATHS:
                        caches.setdefault(cache, []).append([path, size])
        return {"special": special, "writable": writable, "tools": tools, "caches": caches, "cache_totals": totals,
                "rewritten": base64.b64encode(b"".join(sorted(set(hashes)))).decode(), "files": regular}


def tool_kind(path: str) -> str | None:
    parent, _, name = path.rpartition("/")
    if not (parent.endswith("/bin") or parent.endswith("/sbin")):
        return None
    if name in SHELLS:
        return "shell"
    if name in PACKAGE_MANAGERS:
        return "package-manager"
    if name in COMPILERS:
        return "compiler"
    match = _VERSIONED_TOOL.match(name)
    if match:
        return "package-manager" if match.group(1).startswith("pip") else "compiler"
    return None


def cache_kind(path: str) -> str | None:
    for kind, (prefix, test) in CACHES.items():
        if path.startswith(prefix) and test.match(path, len(prefix)):
            return kind
    return None


class FinalView:
    """Answers "is this path, as layer i wrote it, still what the image shows?" from per-layer facts."""

    def __init__(self, layers: Sequence[LayerFacts], facts: Sequence[dict[str, Any]]) -> None:
        self.layers = list(layers)
        self.facts = list(facts)
        self._rewritten = [_unpack(f.get("rewritten", "")) for f in self.facts]

    def present(self, path: str, index: int) -> bool:
        """Not deleted by any layer above `index`."""
        return not any(layer.index > index and deletes(layer, path) for layer in self.layers)

    def current(self, path: str, index: int) -> bool:
        """Present, and not rewritten (a directory or executable) by a layer above `index`: a layer that rewrote
        it keeps its own record when the path is still worth one."""
        if not self.present(path, index):
            return False
        key = path_hash(path)
        return not any(layer.index > index and key in rewritten
                       for layer, rewritten in zip(self.layers, self._rewritten, strict=False))


def _unpack(text: str) -> frozenset[bytes]:
    raw = base64.b64decode(text) if text else b""
    return frozenset(raw[i:i + 4] for i in range(0, len(raw), 4))
