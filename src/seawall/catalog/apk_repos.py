"""apk's repositories (/etc/apk/repositories: `[@tag] URL` lines) and the packages pinned to a tagged one
(/etc/apk/world: `name@tag` entries, apk-world(5))."""

from __future__ import annotations

import re

from seawall.model.repository import PackageOrigin, Repository

REPOSITORIES_PATH = "/etc/apk/repositories"
WORLD_PATH = "/etc/apk/world"
_WORLD_ENTRY = re.compile(r"^!?(?P<name>[^@<>=~\s]+)(?:@(?P<tag>[^<>=~\s]+))?")


def parse_repositories(text: str, path: str) -> list[Repository]:
    repos: list[Repository] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tag = ""
        if line.startswith("@"):
            tag, _, line = line[1:].partition(" ")
            line = line.strip()
        if line:
            repos.append(Repository("apk", line.split()[0], path, id=tag))
    return repos


def parse_world(text: str) -> list[PackageOrigin]:
    """The entries pinned to a tagged repository; `name@tag` means apk installs `name` only from that tag."""
    origins: list[PackageOrigin] = []
    for word in text.split():
        match = _WORLD_ENTRY.match(word)
        if match and match.group("tag") and not word.startswith("!"):
            origins.append(PackageOrigin("apk", match.group("name"), "", match.group("tag")))
    return origins
