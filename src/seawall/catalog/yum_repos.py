"""yum/dnf repository definitions: the INI sections of /etc/yum.repos.d/*.repo (dnf.conf(5))."""

from __future__ import annotations

import configparser

from seawall.model.repository import Repository

REPOS_DIR = "/etc/yum.repos.d/"
_TRUE = frozenset({"1", "yes", "true", "on"})


class RepoFileError(ValueError):
    """A .repo file that is not INI."""


def parse_repo_file(text: str, path: str) -> list[Repository]:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as error:
        raise RepoFileError(f"{path}: not an INI .repo file: {str(error).splitlines()[0][:120]}") from error
    repos: list[Repository] = []
    for section in parser.sections():
        if section == "main":
            continue
        values = parser[section]
        # baseurl may list several URLs, separated by commas or whitespace; the first names the host well enough.
        urls = [u for key in ("baseurl", "mirrorlist", "metalink")
                for u in values.get(key, "").replace(",", " ").split()]
        enabled = values.get("enabled", "1").strip().lower() in _TRUE
        repos.append(Repository("yum", urls[0] if urls else "", path, id=section, enabled=enabled))
    return repos
