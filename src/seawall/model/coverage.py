"""What a scan could check: per namespace or ecosystem, whether the DB holds advisories for it, from which feeds, of
what date. A package the DB has no data for is *not covered*: nothing was checked, so nothing may be called clean."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DbCoverage:
    """One (namespace, feed) the DB holds advisories for, as `seawall db status` lists it."""

    namespace: str  # debian:11, alpine:3.11, pypi, npm, rocky:9
    feed: str
    advisories: int
    data_date: str | None  # the newest record's date (published/modified), else the feed's own data date
    fixed_only: bool  # the data lists only fixed vulnerabilities (Alpine's secdb, Debian's DSA/DLA lists)


@dataclass(frozen=True)
class NamespaceCoverage:
    """The packages of one scan in one namespace or ecosystem, and whether the DB could judge them."""

    namespace: str  # debian:12, pypi, vendor:nginx.org, unknown-distro, binary
    packages: int
    covered: bool
    feeds: tuple[str, ...] = ()
    advisories: int = 0
    data_date: str | None = None  # the newest record of the covering feeds: how current the verdict is
    fixed_only: bool = False  # every covering feed lists fixes only: unfixed vulnerabilities are not seen
    reason: str | None = None  # why not covered, in words


@dataclass(frozen=True)
class UncoveredPackage:
    """A package of the scan the DB holds no advisories for: nothing was checked, so it is not known to be clean."""

    name: str
    version: str
    type: str
    namespace: str
    purl: str | None = None
    layer_index: int | None = None


@dataclass(frozen=True)
class Coverage:
    """Per namespace, what the DB covered in one scan; `uncovered` lists each package nothing was checked for."""

    namespaces: tuple[NamespaceCoverage, ...] = ()
    uncovered: tuple[UncoveredPackage, ...] = ()

    @property
    def packages(self) -> int:
        return sum(n.packages for n in self.namespaces)

    @property
    def covered_packages(self) -> int:
        return sum(n.packages for n in self.namespaces if n.covered)

    @property
    def uncovered_packages(self) -> int:
        return len(self.uncovered)

    @property
    def complete(self) -> bool:
        return not self.uncovered

    @property
    def uncovered_namespaces(self) -> tuple[str, ...]:
        return tuple(n.namespace for n in self.namespaces if not n.covered)

    @property
    def fixed_only_namespaces(self) -> tuple[str, ...]:
        return tuple(n.namespace for n in self.namespaces if n.covered and n.fixed_only)

    def namespace(self, name: str) -> NamespaceCoverage | None:
        return next((n for n in self.namespaces if n.namespace == name), None)

    def statement(self) -> str:
        """One sentence on what was not checked and why; "" when everything was."""
        if not self.uncovered:
            return ""
        parts = [(n.reason or f"no advisories for {n.namespace}")
                 + (" (try seawall db update)" if (n.reason or "").startswith("the DB has no advisories") else "")
                 for n in self.namespaces if not n.covered]
        count = self.uncovered_packages
        return f"{count} package{'' if count == 1 else 's'} {'was' if count == 1 else 'were'} not checked: " \
               + "; ".join(parts) + "."
