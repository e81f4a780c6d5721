"""Docker Official Images definition files (`docker-library/official-images`, `library/NAME`).

An RFC 2822-style file: stanzas separated by blank lines, `#` comment lines, continuation lines starting with
whitespace. The first stanza holds the globals (Maintainers, GitRepo, and any entry field as a default); each later
stanza with `Tags` is one entry that may override any global. Architecture-prefixed fields (`arm64v8-GitCommit`,
`amd64-Directory`) override a field for one architecture.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from seawall.errors import InputError

MAX_FILE_BYTES = 4 * 1024 * 1024
LIST_FIELDS = frozenset({"Maintainers", "Tags", "SharedTags", "Architectures", "Constraints"})
ENTRY_FIELDS = ("GitRepo", "GitFetch", "GitCommit", "Directory", "File", "Builder", "Architectures", "Constraints")
DEFAULTS = {"GitFetch": "refs/heads/master", "Directory": ".", "File": "Dockerfile", "Architectures": "amd64"}


class LibraryFileError(InputError):
    """A definition file that does not follow the format."""


@dataclass(frozen=True)
class LibraryEntry:
    """One stanza of a definition file: the tags it builds, for which architectures, from which Git commit."""

    tags: tuple[str, ...]
    shared_tags: tuple[str, ...]
    architectures: tuple[str, ...]
    git_repo: str
    git_commit: str
    git_fetch: str
    directory: str
    file: str
    constraints: tuple[str, ...] = ()
    builder: str | None = None
    # Per-architecture overrides: (("arm64v8", "GitCommit", "abc…"), …)
    arch_overrides: tuple[tuple[str, str, str], ...] = ()

    def for_arch(self, arch: str, name: str) -> str | None:
        """An entry field as one architecture builds it (the arch-prefixed value wins)."""
        for override_arch, key, value in self.arch_overrides:
            if override_arch == arch and key == name:
                return value
        return {"GitCommit": self.git_commit, "GitFetch": self.git_fetch, "Directory": self.directory,
                "File": self.file, "GitRepo": self.git_repo}.get(name)


@dataclass(frozen=True)
class LibraryFile:
    """One Docker Official Images definition file (`library/NAME`): its maintainers and every entry."""

    name: str  # the repository: `redis` for library/redis
    maintainers: tuple[str, ...]
    git_repo: str | None
    entries: tuple[LibraryEntry, ...] = field(default=())

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(tag for entry in self.entries for tag in entry.tags)

    def entry_for(self, tag: str) -> LibraryEntry | None:
        return next((entry for entry in self.entries if tag in entry.tags or tag in entry.shared_tags), None)


def _stanzas(text: str, origin: str) -> list[tuple[int, dict[str, str]]]:
    """(first line number, fields) per stanza; values of continued lines are joined with a space."""
    # Hand-written: deb822 readers drop line numbers and accept duplicate keys silently; both matter here.
    stanzas: list[tuple[int, dict[str, str]]] = []
    current: dict[str, str] = {}
    start = 0
    last_key: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append((start, current))
            current, last_key = {}, None
            continue
        if line[0] in " \t":
            if last_key is None:
                raise LibraryFileError(f"{origin}:{number}: continuation line outside a field",
                                       remedy="indenting only lines that continue the field above")
            current[last_key] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key or " " in key:
            raise LibraryFileError(f"{origin}:{number}: expected `Field: value`, got {line.strip()[:80]!r}",
                                   remedy="fixing the line in the definition file")
        if key in current:
            raise LibraryFileError(f"{origin}:{number}: field {key} given twice in one stanza",
                                   remedy="keeping one of them")
        if not current:
            start = number
        current[key] = value.strip()
        last_key = key
    if current:
        stanzas.append((start, current))
    return stanzas


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_library_file(text: str, name: str, origin: str | None = None) -> LibraryFile:
    origin = origin or f"library/{name}"
    stanzas = _stanzas(text, origin)
    if not stanzas:
        return LibraryFile(name=name, maintainers=(), git_repo=None)
    # The first stanza is the globals unless it already names tags (then there are none).
    globals_: dict[str, str] = {} if "Tags" in stanzas[0][1] else stanzas.pop(0)[1]
    entries = []
    for line, fields in stanzas:
        merged = {**DEFAULTS, **{k: v for k, v in globals_.items() if k not in ("Maintainers",)}, **fields}
        if not _split(merged.get("Tags", "")):
            raise LibraryFileError(f"{origin}:{line}: entry without Tags", remedy="giving the entry a Tags field")
        for required in ("GitRepo", "GitCommit"):
            if not merged.get(required):
                raise LibraryFileError(f"{origin}:{line}: entry for {_split(merged['Tags'])[0]} has no {required}",
                                       remedy=f"adding {required} to the entry or to the file's globals")
        overrides = []
        for key, value in merged.items():
            arch, sep, base = key.rpartition("-")
            if sep and base in ENTRY_FIELDS:
                overrides.append((arch, base, value))
        entries.append(LibraryEntry(
            tags=_split(merged["Tags"]), shared_tags=_split(merged.get("SharedTags", "")),
            architectures=_split(merged["Architectures"]), git_repo=merged["GitRepo"],
            git_commit=merged["GitCommit"], git_fetch=merged["GitFetch"], directory=merged["Directory"],
            file=merged["File"], constraints=_split(merged.get("Constraints", "")), builder=merged.get("Builder"),
            arch_overrides=tuple(sorted(overrides))))
    return LibraryFile(name=name, maintainers=_maintainers(globals_.get("Maintainers", "")),
                       git_repo=globals_.get("GitRepo"), entries=tuple(entries))


def _maintainers(value: str) -> tuple[str, ...]:
    # Names hold no commas in practice, but "(@handle)," closes each one reliably.
    return tuple(part.strip() for part in value.replace("),", ")\x00").split("\x00") if part.strip())


def read_library_file(path: str | os.PathLike[str]) -> LibraryFile:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LibraryFileError(f"{path}: {size} bytes is too large for a definition file")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise LibraryFileError(f"cannot read {path}: {err.strerror}", remedy="checking the path") from None
    except UnicodeDecodeError:
        raise LibraryFileError(f"{path}: not UTF-8 text", remedy="pointing at the library/ folder") from None
    return parse_library_file(text, path.name, str(path))


def read_library_dir(directory: str | os.PathLike[str], names: set[str] | None = None) -> list[LibraryFile]:
    """Every definition file in `directory` (the `library/` folder), sorted by name; `names` filters."""
    root = Path(directory)
    if not root.is_dir():
        raise LibraryFileError(f"--library-dir {root} is not a directory",
                               remedy="a checkout of docker-library/official-images/library")
    return [read_library_file(path) for path in sorted(root.iterdir())
            if path.is_file() and not path.name.startswith(".") and (names is None or path.name in names)]
