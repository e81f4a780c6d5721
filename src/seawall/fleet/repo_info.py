"""Package inventories transcribed from `docker-library/repo-info` reports (`repos/<image>/local/<tag>.md`) as
seawall SBOMs, so the official images of a past date can be judged and reported without pulling them.

Each JSON file holds the image's metadata (image, tag, image_id, created, arch, virtual_size, os_hint) and one entry
per binary package: dpkg entries with name, arch, version, source and source_version; apk entries with name and
version (the reports show no origin, so the binary name stands in for it)."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

from seawall.catalog.eol import with_eol
from seawall.catalog.purls import with_os_purl
from seawall.errors import InputError
from seawall.model.image import Image, ImageRef, Platform
from seawall.model.sbom import SBOM, Distro, Package

MAX_FILE_BYTES = 32 * 1024 * 1024
DEBIAN_CODENAMES = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "stretch": "9"}
_ALPINE_TAG = re.compile(r"alpine(\d+\.\d+)")
_SIZE = re.compile(r"([\d.]+)\s*([KMG]?)b", re.IGNORECASE)


def read_repo_info(path: str | os.PathLike[str], today: date | None = None) -> SBOM:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}", remedy="checking the path") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{path} is not JSON ({err})", remedy="a repo-info inventory JSON file") from None
    return parse_repo_info(data, str(path), today)


def parse_repo_info(data: Any, origin: str, today: date | None = None) -> SBOM:
    if not isinstance(data, dict) or not isinstance(data.get("packages"), list) or not data.get("image"):
        raise InputError(f"{origin}: not a repo-info inventory (no image or packages)",
                         remedy="a JSON file with image, tag and packages")
    name, tag = str(data["image"]), str(data.get("tag") or "latest")
    distro = _distro(name, tag, str(data.get("os_hint") or ""), today)
    manager = data.get("package_manager")
    packages = []
    for item in data["packages"]:
        if not isinstance(item, dict) or not item.get("name") or not item.get("version"):
            raise InputError(f"{origin}: package entry {item!r} lacks a name or version")
        if manager == "dpkg":
            package = Package(name=item["name"], version=item["version"], type="deb", found_by="repo-info",
                              arch=item.get("arch"), source_name=item.get("source") or None,
                              source_version=item.get("source_version") or None)
        else:
            package = Package(name=item["name"], version=item["version"], type="apk", found_by="repo-info")
        packages.append(with_os_purl(package, distro))
    created = data.get("created")
    image = Image(
        source=f"docker.io/library/{name}:{tag}", transport="sbom",
        ref=ImageRef("docker.io", f"library/{name}", tag), digest=None, index_digest=None,
        platform=Platform("linux", str(data.get("arch") or "amd64")), manifest_media_type=None,
        config_digest=data.get("image_id"),
        config={"created": created, "config": {"Env": data.get("env") or [], "Cmd": data.get("command")}},
        annotations={"org.opencontainers.image.size": str(_size(data.get("virtual_size")) or "")})
    return SBOM(image=image, distro=distro, packages=tuple(packages))


def image_size(sbom: SBOM) -> int | None:
    value = sbom.image.annotations.get("org.opencontainers.image.size")
    return int(value) if value else None


def _size(text: object) -> int | None:
    """'~ 74.22 Mb' → bytes (the reports round to two decimals)."""
    match = _SIZE.search(str(text or ""))
    if not match:
        return None
    scale = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def _distro(name: str, tag: str, hint: str, today: date | None) -> Distro | None:
    """From the image name and tag where they say it (debian:bookworm…, alpine:3.17.1, …-alpine3.17), else from the
    transcriber's hint ('alpine 3.17 (…)', 'debian 11 (bullseye; …)')."""
    distro: Distro | None = None
    codename = next((word for word in re.split(r"[-.]", tag) if word in DEBIAN_CODENAMES), None)
    if name == "debian" and codename:
        distro = Distro("debian", DEBIAN_CODENAMES[codename], codename)
    elif name == "alpine" and re.fullmatch(r"\d+\.\d+(\.\d+)?", tag):
        distro = Distro("alpine", tag)
    elif match := _ALPINE_TAG.search(tag):
        distro = Distro("alpine", match.group(1))
    else:
        words = hint.replace("(", " ").replace(";", " ").split()
        if len(words) >= 2 and words[0] in ("debian", "alpine", "ubuntu"):
            codename = next((w for w in words[2:] if w in DEBIAN_CODENAMES), None) if words[0] == "debian" else None
            distro = Distro(words[0], words[1], codename)
    if distro is None:
        return None
    return with_eol(distro, today)


def import_inventories(directory: str | os.PathLike[str], store: Any, db: str | os.PathLike[str], *,
                       run_id: str | None = None, today: date | None = None) -> str:
    """Judge every `*.json` inventory in `directory` against the DB and store them as one finished run;
    returns the run id. A file that does not read becomes that image's error row."""
    from seawall.db.store import VulnStore
    from seawall.fleet.records import ImageResult, apply_coverage, apply_findings, apply_sbom, now_iso
    from seawall.fleet.runner import new_run_id
    from seawall.fleet.store import RunInfo
    from seawall.fleet.strategy import variant_of
    from seawall.match import match_sbom
    from seawall.match.coverage import compute_coverage
    from seawall.model.finding import ScanReport

    files = sorted(Path(directory).glob("*.json"))
    if not files:
        raise InputError(f"no *.json inventories in {directory}", remedy="the repo-info-inventories folder")
    run = RunInfo(id=run_id or new_run_id(), catalog=f"repo-info:{Path(directory).name}", strategy="supported",
                  platform="linux/amd64", started_at=now_iso(), selected=len(files))
    with VulnStore.open(Path(db)) as vulns:
        built_at = vulns.meta().get("updated_at")
        identity, db_coverage = vulns.identity(), vulns.coverage()
        run.db_built_at = built_at
        snapshot = []
        results = []
        for path in files:
            name, _, tag = path.stem.partition("__")
            base = ImageResult(run_id=run.id, key=f"{name}:{tag or 'latest'}", repository=name, tag=tag or "latest",
                               reference=f"docker.io/library/{name}:{tag or 'latest'}", variant=variant_of(tag))
            snapshot.append({"reference": base.reference, "repository": name, "tag": base.tag,
                             "variant": base.variant})
            try:
                sbom = read_repo_info(path, today)
            except InputError as err:
                base.error = err.one_line().removeprefix("error: ")
                results.append(base)
                continue
            report = ScanReport(sbom=sbom, findings=tuple(match_sbom(sbom, vulns)), scanned_at=now_iso(),
                                db_built_at=built_at, coverage=compute_coverage(sbom, db_coverage))
            apply_sbom(base, sbom)
            apply_findings(base, list(report.findings))
            apply_coverage(base, report.coverage)
            base.db_identity = identity
            base.size, base.size_uncompressed = None, image_size(sbom)  # repo-info gives the unpacked size
            base.scanned_at, base.db_built_at = report.scanned_at, built_at
            results.append(base)
    run.snapshot = snapshot
    store.create_run(run)
    for result in results:
        store.put_result(result)
    store.finish_run(run.id, now_iso())
    return run.id
