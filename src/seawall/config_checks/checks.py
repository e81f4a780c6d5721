"""Configuration checks on the image config, its build history and the final filesystem's modes and leftovers.

Each check is a function of a `CheckInput` returning `ConfigFinding`s; evidence names what shows the problem and
never a secret value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seawall.config_checks.fsfacts import FinalView
from seawall.model.extra import ConfigFinding
from seawall.model.image import Image
from seawall.model.vuln import Severity

BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"

# Setuid/setgid programs Debian, Alpine and Red Hat systems ship in their base packages.
DISTRO_SETUID = frozenset({
    "su", "sudo", "passwd", "chsh", "chfn", "gpasswd", "newgrp", "mount", "umount", "chage", "expiry",
    "unix_chkpwd", "pam_extrausers_chkpwd", "wall", "write", "crontab", "ssh-agent", "ssh-keysign", "ping",
    "ping6", "pkexec", "dbus-daemon-launch-helper", "newuidmap", "newgidmap", "fusermount", "fusermount3",
    "bsd-write", "dotlockfile", "mlocate", "plocate", "at", "staprun", "polkit-agent-helper-1", "userhelper",
    "Xorg.wrap", "busybox", "bbsuid", "sg", "usernetctl", "pam_timestamp_check", "chromium-sandbox",
})
# Variable names are judged by their parts (DB_PASSWORD, NPM_TOKEN, AWS_SECRET_ACCESS_KEY), so AUTHOR or
# TOKENIZERS_PARALLELISM are not taken for secrets.
_SECRET_PARTS = frozenset({"PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "TOKEN", "SECRET", "APIKEY", "AUTH",
                           "CREDENTIAL", "CREDENTIALS"})
_SECRET_SUFFIXES = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "APIKEY")
_NOT_SECRET_PARTS = frozenset({"GPG", "PGP", "PUBLIC", "FINGERPRINT", "KEYRING", "KEYSERVER", "KEYS"})
_NOT_SECRET_LAST = frozenset({"ID", "FILE", "PATH", "DIR", "URL", "URI", "NAME", "TYPE", "LENGTH", "SIZE", "HEADER",
                              "METHOD", "MODE", "ENABLED", "VERSION", "HOST", "PORT", "USER", "USERNAME"})
_BUILD_ARGS = re.compile(r"\A(?:RUN\s+)?\|(\d+)\s+")
_ARG_OR_ENV = re.compile(r"\A(?:/bin/sh -c #\(nop\)\s+)?(ARG|ENV)\s+(.*)\Z", re.DOTALL)
_ADD_URL = re.compile(r"(?:\A|#\(nop\)\s*|\s)ADD\s+(?:--\S+\s+)*['\"]?(https?|ftp)://\S+", re.IGNORECASE)
_FETCH_TO_SHELL = re.compile(
    r"\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:env\s+)?(?:\w+=\S*\s+)*(?:/usr)?(?:/bin/)?(?:ba|z|da|k|a)?sh\b"
    r"|\b(?:ba|z|da|k|a)?sh\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"
    r"|\b(?:ba|z|da|k|a)?sh\s+<\(\s*(?:curl|wget)\b")


@dataclass(frozen=True)
class CheckInput:
    """What every configuration check looks at: the image config, the final filesystem, per-layer facts, dpkg lists."""

    image: Image
    view: FinalView
    facts: Sequence[tuple[int, dict[str, Any]]]  # (layer index, fsfacts result), base first
    owned_files: Mapping[str, tuple[str, ...]]  # OS package → paths (dpkg lists)
    package_layers: Mapping[str, int | None] = field(default_factory=dict)  # OS package → the layer installing it


def _step_name(index: int) -> str:
    return f"history step {index}"


def root_user(data: CheckInput) -> Iterator[ConfigFinding]:
    user = str(data.image.runtime_config.get("User") or "").strip()
    name = user.split(":", 1)[0]
    if name in ("", "0", "root"):
        said = "no USER is set" if not user else f"USER is {user}"
        yield ConfigFinding("root-user", Severity.MEDIUM, "Container runs as root",
                            f"{said} in the image config", "add `USER <non-root uid>` after the last step that "
                            "needs root, and give that user only the files it must write")


def no_healthcheck(data: CheckInput) -> Iterator[ConfigFinding]:
    check = data.image.runtime_config.get("Healthcheck") or {}
    test = check.get("Test") if isinstance(check, dict) else None
    if not test or test == ["NONE"]:
        yield ConfigFinding("no-healthcheck", Severity.LOW, "No HEALTHCHECK",
                            "the image config has no Healthcheck (OCI-format builds drop it; set it in the "
                            "orchestrator then)", "add a HEALTHCHECK instruction or a liveness probe")


def privileged_ports(data: CheckInput) -> Iterator[ConfigFinding]:
    ports = data.image.runtime_config.get("ExposedPorts") or {}
    low = []
    for spec in ports:
        number = str(spec).split("/", 1)[0]
        if number.isdigit() and 0 < int(number) < 1024:
            low.append(str(spec))
    if low:
        yield ConfigFinding("privileged-port", Severity.LOW, "Privileged port exposed",
                            f"EXPOSE {', '.join(sorted(low))}: binding below 1024 needs root or "
                            "CAP_NET_BIND_SERVICE", "listen on a port ≥ 1024 and map it at run time")


def _history(image: Image) -> Iterator[tuple[int, str]]:
    for i, step in enumerate(image.config.get("history") or [], 1):
        if isinstance(step, dict) and step.get("created_by"):
            yield i, str(step["created_by"])


def add_from_url(data: CheckInput) -> Iterator[ConfigFinding]:
    for i, line in _history(data.image):
        match = _ADD_URL.search(line)
        if match:
            yield ConfigFinding("add-from-url", Severity.MEDIUM, "ADD downloads from a URL",
                                f"{_step_name(i)}: ADD {match.group(1)}://… (fetched without a checksum)",
                                "download with a pinned checksum (ADD --checksum=sha256:…, or curl then sha256sum "
                                "-c) or COPY a vetted file")


def fetch_to_shell(data: CheckInput) -> Iterator[ConfigFinding]:
    for i, line in _history(data.image):
        if _FETCH_TO_SHELL.search(line):
            yield ConfigFinding("curl-pipe-shell", Severity.MEDIUM, "Downloaded script piped into a shell",
                                f"{_step_name(i)} runs a fetched script without verifying it",
                                "download the script, check its checksum or signature, then run it")


def secret_build_args(data: CheckInput) -> Iterator[ConfigFinding]:
    reported: set[str] = set()
    places: list[tuple[str, str, str]] = []  # (name, value, where)
    for i, line in _history(data.image):
        places.extend((n, v, f"{_step_name(i)} (build arg)") for n, v in _build_args(line))
        match = _ARG_OR_ENV.match(line.strip())
        if match:
            places.extend((n, v, f"{_step_name(i)} ({match.group(1)})") for n, v in _assignments(match.group(2)))
    for item in data.image.runtime_config.get("Env") or []:
        name, _, value = str(item).partition("=")
        places.append((name, value, "ENV in the image config"))
    for name, value, where in places:
        if name in reported or not _looks_secret(name, value):
            continue
        reported.add(name)
        yield ConfigFinding("secret-build-arg", Severity.HIGH, "Secret passed as a build argument or ENV",
                            f"{name} has a value in {where}; anyone who pulls the image can read it",
                            "pass secrets with `RUN --mount=type=secret` (BuildKit) or at run time, never as "
                            "ARG/ENV, and rotate this one")


def _build_args(line: str) -> list[tuple[str, str]]:
    """`RUN |2 A=1 B=2 /bin/sh -c …`: the build args a RUN step saw, as the builder records them."""
    match = _BUILD_ARGS.match(line.strip())
    if not match:
        return []
    words = line.strip()[match.end():].split(" ")
    return [tuple(w.split("=", 1)) for w in words[: int(match.group(1))] if "=" in w]  # type: ignore[misc]


def _assignments(text: str) -> list[tuple[str, str]]:
    out = []
    for word in text.split():
        name, sep, value = word.partition("=")
        if sep:
            out.append((name, value.strip("'\"")))
    return out


def _looks_secret(name: str, value: str) -> bool:
    parts = [part for part in re.split(r"[_.-]", name.upper()) if part]
    if not parts or parts[-1] in _NOT_SECRET_LAST or _NOT_SECRET_PARTS.intersection(parts):
        return False
    named = any(part in _SECRET_PARTS or part.endswith(_SECRET_SUFFIXES) for part in parts) or (
        len(parts) > 1 and parts[-1] == "KEY")
    value = value.strip().strip("'\"")
    return named and bool(value) and value[0] not in "$/" and value.lower() not in (
        "true", "false", "none", "null", "0", "1", "yes", "no")


_MERGED_USR = ("/bin/", "/sbin/", "/lib/", "/lib64/", "/lib32/")


def _merged_usr_twin(path: str) -> str:
    """/bin/x and /usr/bin/x are one file on merged-/usr systems; package lists may name either."""
    if path.startswith("/usr/") and path.startswith(_MERGED_USR, 4):
        return path[4:]
    return "/usr" + path if path.startswith(_MERGED_USR) else path


def setuid_files(data: CheckInput) -> Iterator[ConfigFinding]:
    special = list(_current(data, "special"))
    owners: dict[str, str] = {}
    for package, files in data.owned_files.items() if special else ():
        owners.update(dict.fromkeys(files, package))
    for index, path, mode in special:
        owner = owners.get(path) or owners.get(_merged_usr_twin(path))
        bits = " and ".join(b for b, bit in (("setuid", 0o4000), ("setgid", 0o2000)) if mode & bit)
        # Written by the very layer that installed its package: the file as the distribution ships it (a later
        # chmod or copy would be a later layer's version).
        shipped = owner is not None and owner in data.package_layers and data.package_layers[owner] == index
        if owner or (path.rpartition("/")[2] in DISTRO_SETUID and _system_dir(path)):
            whose = f"owned by package {owner}" if owner else "a distribution tool"
            if shipped:
                whose += ", as the package ships it"
            severity = Severity.LOW
        else:
            whose, severity = "not owned by any OS package", Severity.MEDIUM
        yield ConfigFinding("setuid-binary", severity, f"{bits.capitalize()} file",
                            f"{path} is {bits} (mode {mode:04o}, layer {index}), {whose}",
                            "remove the setuid/setgid bit (chmod a-s) or the program if the container does not "
                            "need it", path=path, layer_index=index, distro_default=shipped)


def _system_dir(path: str) -> bool:
    return path.startswith(("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/lib", "/lib", "/usr/libexec/"))


def world_writable(data: CheckInput) -> Iterator[ConfigFinding]:
    for index, path, kind, mode in _current(data, "writable"):
        if kind == "dir":
            title = "World-writable directory without the sticky bit"
            remedy = "chmod o-w the directory, or add the sticky bit (chmod +t) if it must be shared like /tmp"
        else:
            title = "World-writable file"
            remedy = "chmod o-w the file"
        yield ConfigFinding("world-writable", Severity.MEDIUM, title,
                            f"{path} has mode {mode:04o} (layer {index}): any user in the container can change it",
                            remedy, path=path, layer_index=index)


def _current(data: CheckInput, key: str) -> Iterator[tuple[Any, ...]]:
    """Records of `key` whose path the final image still shows as that layer wrote it; the highest layer wins."""
    best: dict[str, tuple[Any, ...]] = {}
    for index, facts in data.facts:
        for record in facts.get(key, []):
            path = record[0]
            if data.view.current(path, index):
                best[path] = (index, *record)
    return iter(sorted(best.values(), key=lambda r: (r[1], r[0])))


def package_caches(data: CheckInput) -> Iterator[ConfigFinding]:
    remaining: dict[str, dict[str, tuple[int, int]]] = {}  # kind → path → (size, layer)
    for index, facts in data.facts:
        for kind, items in (facts.get("caches") or {}).items():
            for path, size in items:
                remaining.setdefault(kind, {})[path] = (size, index)
    for kind, items in sorted(remaining.items()):
        left = {p: v for p, v in items.items() if data.view.present(p, v[1])}
        if not left:
            continue
        size = sum(v[0] for v in left.values())
        layers = sorted({v[1] for v in left.values()})
        sample = sorted(left)[0]
        yield ConfigFinding("package-cache", Severity.LOW, f"Package manager cache left in the image ({kind})",
                            f"{len(left)} file(s), {size} bytes (e.g. {sample}) in layer(s) "
                            f"{', '.join(map(str, layers))}", _CACHE_REMEDY.get(kind, "delete the cache in the "
                            "same RUN step that fills it"), path=sample, layer_index=layers[-1])


_CACHE_REMEDY = {
    "apt-archives": "run `apt-get clean` in the same RUN step as `apt-get install`",
    "apt-lists": "end the installing RUN step with `rm -rf /var/lib/apt/lists/*`",
    "apk-cache": "use `apk add --no-cache`",
    "dnf-yum-cache": "run `dnf clean all` (or `yum clean all`) in the same RUN step",
    "pip-cache": "use `pip install --no-cache-dir`",
    "npm-cache": "run `npm cache clean --force` in the same RUN step, or mount the cache at build time",
}


def mutable_base(data: CheckInput) -> Iterator[ConfigFinding]:
    labels = data.image.runtime_config.get("Labels") or {}
    name = data.image.annotations.get(BASE_NAME) or labels.get(BASE_NAME)
    if not name or "@" in name:
        return
    digest = data.image.annotations.get(BASE_DIGEST) or labels.get(BASE_DIGEST)
    resolved = f" (it resolved to {digest} at build time)" if digest else ""
    yield ConfigFinding("mutable-base-tag", Severity.LOW, "Base image referenced by a mutable tag",
                        f"base image {name}{resolved}: a rebuild may pull a different image",
                        "pin the base image by digest (FROM name:tag@sha256:…) and update it deliberately")


CONFIG_CHECKS: tuple[Callable[[CheckInput], Iterator[ConfigFinding]], ...] = (
    root_user, no_healthcheck, privileged_ports, add_from_url, fetch_to_shell, secret_build_args, mutable_base,
)
FILESYSTEM_CHECKS: tuple[Callable[[CheckInput], Iterator[ConfigFinding]], ...] = (
    setuid_files, world_writable, package_caches,
)
