"""Errors that teach: an image argument that is a local path or a mistyped transport gets the prefix to use."""

from __future__ import annotations

import difflib
import json
import os
import re
import tarfile
from pathlib import Path

from seawall.errors import InputError

# Every prefix an image argument may carry; `sbom:` is read before an image source is opened.
TRANSPORTS = ("oci", "oci-archive", "docker-archive", "dir", "sbom")
_KNOWN = ", ".join(f"{t}:" for t in TRANSPORTS)


def check_not_local(text: str) -> None:
    """Raise an InputError with the prefix to use when `text`, about to be read as a registry reference, is a local
    path (`./layout`, `app.tar`) or a transport that does not exist (`ocii:./layout`)."""
    transport, sep, rest = text.partition(":")
    if sep and transport not in TRANSPORTS and re.fullmatch(r"[a-z][a-z-]*", transport):
        looks_like_path = bool(rest) and (os.path.exists(rest.split(":")[0]) or _path_like(rest))
        close = difflib.get_close_matches(transport, TRANSPORTS, n=1, cutoff=0.75)
        if looks_like_path or close:
            # What the path holds beats what the typo resembles.
            guess = guess_transport(Path(rest.split(":")[0])) if looks_like_path else None
            suggestion = guess or (close[0] if close else None)
            hint = f"`{suggestion}:{rest}`, or " if suggestion else ""
            raise InputError(f"unknown transport {transport + ':'!r} in {text!r}",
                             remedy=f"{hint}one of the known transports: {_KNOWN} (or a registry image name)")
    path_like = _path_like(text) or text.endswith((".tar", ".tar.gz", ".tgz", ".json"))
    prefix = guess_transport(Path(text)) if os.path.lexists(text) else None
    # A folder that merely shares an image's name (`python`) is not a reason to refuse the registry image.
    if prefix in ("oci", "oci-archive", "docker-archive", "sbom") or (path_like and os.path.lexists(text)):
        if prefix:
            raise InputError(f"{text} is a local {_KIND[prefix]}, not a registry image name",
                             remedy=f"`{prefix}:{text}`")
        raise InputError(f"{text} is a local path that is not an image seawall can read",
                         remedy=f"one of the prefixes {_KNOWN} before the path, or a registry image name")
    if path_like:
        raise InputError(f"{text} does not exist and is not a registry image name",
                         remedy=f"checking the path, and one of the prefixes {_KNOWN} before it")


def _path_like(text: str) -> bool:
    return text.startswith(("./", "../", "/", "~")) or text in (".", "..")


_KIND = {"oci": "OCI image layout", "oci-archive": "OCI layout tarball", "docker-archive": "`docker save` tarball",
         "dir": "directory", "sbom": "SBOM file"}


def guess_transport(path: Path) -> str | None:
    """The prefix that reads `path`, judged by what it holds; None when nothing fits."""
    try:
        if path.is_dir():
            if (path / "oci-layout").is_file() or (path / "index.json").is_file():
                return "oci"
            return "dir"
        if not path.is_file():
            return None
        if tarfile.is_tarfile(path):
            with tarfile.open(path) as tar:
                names = {member.name.removeprefix("./") for _, member in zip(range(100_000), tar, strict=False)}
            # Docker 25+ writes both: its manifest.json is what `docker-archive:` reads.
            if "manifest.json" in names:
                return "docker-archive"
            if "oci-layout" in names or "index.json" in names:
                return "oci-archive"
            return None
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except (OSError, tarfile.TarError):
        return None
    if head.lstrip()[:1] == b"{":
        try:
            doc = json.loads(path.read_bytes()) if path.stat().st_size < 64 << 20 else {}
        except (OSError, ValueError):
            return None
        if isinstance(doc, dict) and ("bomFormat" in doc or "spdxVersion" in doc):
            return "sbom"
    return None
