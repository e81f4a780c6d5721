"""The package managers' repository configuration, read in the same pass as the package databases: apt sources and
indexes, yum/dnf `.repo` files and dnf's history, apk's repositories and world. It finds no packages of its own;
`seawall.catalog.repo_vendors` uses what it records to tell a third-party repository's packages from the
distribution's."""

from __future__ import annotations

import lzma
from collections.abc import Sequence

from seawall.catalog import apk_repos, apt_sources, dnf_history, yum_repos
from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.repo_vendors import is_distribution_apt_repo
from seawall.model.repository import PackageOrigin, Repository
from seawall.model.sbom import Unknown

# A distribution's uncompressed index is ~50 MB (Debian bookworm main, amd64); far larger is hostile.
MAX_INDEX_FILE = 128 * 1024 * 1024
MAX_CONFIG_FILE = 1024 * 1024


class RepositoryCataloger(Cataloger):
    name = "repos"
    version = 1
    globs = (
        apt_sources.SOURCES_LIST,
        apt_sources.SOURCES_DIR + "*.list",
        apt_sources.SOURCES_DIR + "*.sources",
        *(apt_sources.LISTS_DIR + "*" + suffix for suffix in apt_sources.INDEX_SUFFIXES),
        yum_repos.REPOS_DIR + "*.repo",
        dnf_history.HISTORY_PATH,
        apk_repos.REPOSITORIES_PATH,
        apk_repos.WORLD_PATH,
    )
    max_file_size = MAX_INDEX_FILE

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        repos: list[Repository] = []
        origins: list[PackageOrigin] = []
        unknowns: list[Unknown] = []
        for entry in files:
            try:
                found_repos, found_origins = self._read(entry)
            except (ValueError, OSError, EOFError, lzma.LZMAError) as error:
                reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
                unknowns.append(Unknown(entry.path, f"unreadable repository file: {reason}", self.name,
                                        entry.layer_index))
                continue
            repos.extend(found_repos)
            origins.extend(found_origins)
        return CatalogResult(unknowns=tuple(unknowns), repositories=tuple(repos), origins=tuple(origins))

    def _read(self, entry: FileEntry) -> tuple[list[Repository], list[PackageOrigin]]:
        path = entry.path
        if path.startswith(apt_sources.LISTS_DIR):
            repo = apt_sources.index_repository(path)
            if repo is None:
                return [], []
            if is_distribution_apt_repo(repo):
                return [repo], []  # only the other vendors' indexes matter; a distribution's has 60,000 entries
            text = apt_sources.read_index(path, entry.read(), MAX_INDEX_FILE).decode("utf-8", errors="replace")
            return [repo], apt_sources.index_origins(repo, text)
        if path == dnf_history.HISTORY_PATH:
            return [], dnf_history.history_origins(entry.read())
        if entry.size > MAX_CONFIG_FILE:
            raise ValueError(f"{entry.size} bytes is too large for a repository configuration file")
        text = entry.text()
        if path == apt_sources.SOURCES_LIST or path.endswith(".list"):
            return apt_sources.parse_one_line(text, path), []
        if path.endswith(".sources"):
            return apt_sources.parse_deb822(text, path), []
        if path.endswith(".repo"):
            return yum_repos.parse_repo_file(text, path), []
        if path == apk_repos.REPOSITORIES_PATH:
            return apk_repos.parse_repositories(text, path), []
        return [], apk_repos.parse_world(text)

