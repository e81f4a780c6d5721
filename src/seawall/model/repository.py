"""The package repositories an image was built with, and which repository each installed package came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Repository:
    """One configured repository: an apt source, a yum/dnf `.repo` section, an apk repository line, or an apt
    index file (`/var/lib/apt/lists/*_Packages`) whose repository is named by its file name."""

    kind: str  # apt | apt-list | yum | apk
    url: str  # the base URL (apt: the URI; yum: baseurl, mirrorlist or metalink; apk: the repository URL)
    path: str  # the file that configures it
    id: str = ""  # yum repo id, apk tag
    suites: tuple[str, ...] = ()  # apt suites (bookworm, bookworm/mongodb-org/7.0)
    components: tuple[str, ...] = ()  # apt components (main, nginx)
    enabled: bool = True


@dataclass(frozen=True)
class PackageOrigin:
    """The repository one installed package version came from, as the package manager recorded it."""

    kind: str  # apt-list (apt's index files) | dnf (dnf's history DB) | apk (a `name@tag` line in /etc/apk/world)
    name: str
    version: str  # as the package database spells it (`1.25.3-1~bookworm`, `1:7.0.2-1.el9`); apk: empty
    repo: str  # apt-list: the index's repository URL; dnf: the repo id; apk: the tag
    arch: str = ""
