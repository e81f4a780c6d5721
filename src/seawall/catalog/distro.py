"""Which distribution an image is: os-release first, then the distribution-specific release files."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from seawall.catalog.eol import with_eol
from seawall.model.sbom import Distro

OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")
DISTRO_PATHS: tuple[str, ...] = (
    *OS_RELEASE_PATHS,
    "/etc/debian_version",
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/centos-release",
    "/etc/system-release",
    "/etc/lsb-release",
)
MAX_RELEASE_FILE = 64 * 1024

DEBIAN_CODENAMES: dict[str, str] = {
    "squeeze": "6",
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}
UBUNTU_CODENAMES: dict[str, str] = {
    "trusty": "14.04",
    "xenial": "16.04",
    "artful": "17.10",
    "bionic": "18.04",
    "cosmic": "18.10",
    "disco": "19.04",
    "eoan": "19.10",
    "focal": "20.04",
    "groovy": "20.10",
    "hirsute": "21.04",
    "impish": "21.10",
    "jammy": "22.04",
    "kinetic": "22.10",
    "lunar": "23.04",
    "mantic": "23.10",
    "noble": "24.04",
    "oracular": "24.10",
    "plucky": "25.04",
    "questing": "25.10",
    "resolute": "26.04",
}
_CODENAMES = {"debian": DEBIAN_CODENAMES, "ubuntu": UBUNTU_CODENAMES}

# `CentOS Linux release 7.9.2009 (Core)`, `Red Hat Enterprise Linux release 8.9 (Ootpa)`, `Fedora release 39 (…)`.
_RELEASE_LINE = re.compile(r"^(?P<name>.+?)\s+release\s+(?P<version>[\d.]+)(?:\s+\((?P<codename>[^)]*)\))?", re.I)
_RELEASE_NAME_IDS = (
    ("red hat enterprise linux", "rhel"),
    ("centos stream", "centos"),
    ("centos", "centos"),
    ("rocky", "rocky"),
    ("almalinux", "almalinux"),
    ("oracle linux", "ol"),
    ("fedora", "fedora"),
    ("amazon linux", "amzn"),
)


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines with shell quoting, as os-release(5) and lsb-release use."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value, posix=True)
        except ValueError:
            parts = [value.strip("\"'")]
        values[key.strip()] = " ".join(parts)
    return values


def _text(files: Mapping[str, bytes], path: str) -> str | None:
    data = files.get(path)
    if data is None:
        return None
    return data[:MAX_RELEASE_FILE].decode("utf-8", errors="replace")


def codename_version(distro_id: str, codename: str | None) -> str | None:
    return _CODENAMES.get(distro_id, {}).get((codename or "").lower())


def version_codename(distro_id: str, version: str | None) -> str | None:
    if not version:
        return None
    table = _CODENAMES.get(distro_id, {})
    major = version if distro_id == "ubuntu" else version.split(".")[0]
    return next((name for name, number in table.items() if number == major), None)


def _from_os_release(values: dict[str, str]) -> Distro | None:
    distro_id = values.get("ID", "").strip().lower()
    if not distro_id:
        return None
    codename = values.get("VERSION_CODENAME") or values.get("UBUNTU_CODENAME") or None
    version_id = values.get("VERSION_ID") or None
    if codename is None and distro_id in _CODENAMES:
        # Old releases (Debian 8, Ubuntu 14.04) name the codename only inside VERSION: `8 (jessie)`.
        match = re.search(r"\(([A-Za-z]+)", values.get("VERSION", ""))
        if match:
            candidate = match.group(1).lower()
            codename = candidate if candidate in _CODENAMES[distro_id] else codename
    return Distro(
        id=distro_id,
        version_id=version_id,
        codename=codename.lower() if codename else None,
        name=values.get("NAME") or None,
        pretty_name=values.get("PRETTY_NAME") or None,
        id_like=tuple(values.get("ID_LIKE", "").split()),
    )


def _refine_debian(distro: Distro, debian_version: str | None) -> Distro:
    """Fill Debian gaps from /etc/debian_version; testing and sid (`trixie/sid`) have no VERSION_ID."""
    if not debian_version:
        if distro.version_id is None and distro.codename:
            return replace(distro, version_id=codename_version("debian", distro.codename))
        return distro
    value = debian_version.strip().splitlines()[0].strip() if debian_version.strip() else ""
    if re.fullmatch(r"\d+(\.\d+)*", value):
        # os-release's VERSION_ID (`12`) wins, as in the purls other tools write; the point release fills a gap.
        version_id: str | None = distro.version_id or value
        codename = distro.codename or version_codename("debian", version_id)
        return replace(distro, version_id=version_id, codename=codename)
    if distro.id != "debian":
        return distro
    codename = distro.codename or (value.split("/")[0].lower() if value else None)
    if codename == "sid":
        return replace(distro, codename=codename)
    version_id = distro.version_id or codename_version("debian", codename)
    return replace(distro, codename=codename, version_id=version_id)


def _from_release_line(text: str) -> Distro | None:
    match = _RELEASE_LINE.match(text.strip())
    if not match:
        return None
    name = match.group("name").strip()
    lowered = name.lower()
    distro_id = next((i for key, i in _RELEASE_NAME_IDS if key in lowered), None)
    if distro_id is None:
        return None
    return Distro(id=distro_id, version_id=match.group("version"), name=name, pretty_name=text.strip().splitlines()[0])


def _detect(files: Mapping[str, bytes]) -> Distro | None:
    os_release = next((t for t in (_text(files, p) for p in OS_RELEASE_PATHS) if t), None)
    debian_version = _text(files, "/etc/debian_version")
    distro = _from_os_release(parse_os_release(os_release)) if os_release else None
    if distro is not None:
        if distro.id == "debian" or "debian" in distro.id_like:
            distro = _refine_debian(distro, debian_version if distro.id == "debian" else None)
        if distro.id == "ubuntu" and distro.codename is None:
            distro = replace(distro, codename=version_codename("ubuntu", distro.version_id))
        if distro.id == "alpine" and (release := _text(files, "/etc/alpine-release")):
            distro = replace(distro, version_id=release.strip() or distro.version_id)
        return distro
    if release := _text(files, "/etc/alpine-release"):
        return Distro(id="alpine", version_id=release.strip() or None, name="Alpine Linux")
    for path in ("/etc/centos-release", "/etc/redhat-release", "/etc/system-release"):
        if (text := _text(files, path)) and (found := _from_release_line(text)):
            return found
    if lsb := _text(files, "/etc/lsb-release"):
        values = parse_os_release(lsb)
        distro_id = values.get("DISTRIB_ID", "").lower()
        if distro_id:
            codename = values.get("DISTRIB_CODENAME") or None
            version = values.get("DISTRIB_RELEASE") or codename_version(distro_id, codename)
            return Distro(
                id=distro_id, version_id=version, codename=codename, pretty_name=values.get("DISTRIB_DESCRIPTION")
            )
    if debian_version:
        return _refine_debian(Distro(id="debian", name="Debian GNU/Linux"), debian_version)
    return None


def detect_distro(files: Mapping[str, bytes], today: date | None = None) -> Distro | None:
    """The distribution described by the release files in `files` (path → content), with its end-of-life state."""
    distro = _detect(files)
    if distro is None:
        return None
    return with_eol(distro, today)


def is_distroless(distro: Distro | None) -> bool:
    """Google's distroless images keep Debian's ID but say `Distroless` in PRETTY_NAME."""
    return bool(distro and distro.pretty_name and "distroless" in distro.pretty_name.lower())
