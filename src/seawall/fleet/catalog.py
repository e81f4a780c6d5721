"""What a fleet run scans: the Docker Official Images (definition files, optionally enriched by Docker Hub) or a
team's own list of image references."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError, SeawallError
from seawall.fleet.library_file import read_library_dir
from seawall.fleet.strategy import select_tags, variant_of
from seawall.image.reference import familiar_name, parse_reference
from seawall.model.image import ImageRef

MAX_CATALOG_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class CatalogImage:
    """One image a fleet run may scan, by repository and tag, with what Docker Hub says of it before any pull."""

    reference: str  # full reference: docker.io/library/redis:latest
    repository: str  # familiar repository name: redis, myteam/app
    tag: str
    variant: str = "default"
    architectures: tuple[str, ...] = ()
    hub_last_updated: str | None = None
    pull_count: int | None = None
    description: str | None = None
    digest: str | None = None  # the manifest (or index) digest a HEAD request found, before any pull
    size: int | None = None  # compressed linux/amd64 size as Docker Hub reports it (for `fleet plan`)

    @property
    def key(self) -> str:
        """The image's identity within a run: repository:tag."""
        return f"{self.repository}:{self.tag}"


def _repository_name(ref: ImageRef) -> str:
    name = familiar_name(ImageRef(ref.registry, ref.repository))
    return name.removesuffix(":latest")


def official_catalog(library_dir: str | os.PathLike[str], strategy: str = "latest", *,
                     hub_url: str | None = None, names: set[str] | None = None,
                     warnings: list[str] | None = None) -> list[CatalogImage]:
    """Images of the official catalog chosen by `strategy`. With `hub_url`, each image gets Docker Hub's pull count
    and tag push date (a Hub failure leaves them unknown and adds a warning; the definition files decide)."""
    libraries = read_library_dir(library_dir, names)
    hub_repos: dict[str, Any] = {}
    client = None
    if hub_url:
        from seawall.fleet.hub import HubClient

        client = HubClient(hub_url)
        try:
            hub_repos = {repo.name: repo for repo in client.repositories()}
        except SeawallError as err:
            _warn(warnings, f"Docker Hub repositories: {err.message}")
    images: list[CatalogImage] = []
    try:
        for library in libraries:
            updated: dict[str, str] = {}
            sizes: dict[str, int] = {}
            if client is not None and library.name in hub_repos:
                try:
                    tags = client.tags(library.name)
                    updated = {tag.name: tag.last_updated for tag in tags if tag.last_updated}
                    sizes = {tag.name: size for tag in tags if (size := _amd64_size(tag)) is not None}
                except SeawallError as err:
                    _warn(warnings, f"Docker Hub tags of {library.name}: {err.message}")
            repo = hub_repos.get(library.name)
            for choice in select_tags(library, strategy, updated):
                images.append(CatalogImage(
                    reference=f"docker.io/library/{library.name}:{choice.tag}", repository=library.name,
                    tag=choice.tag, variant=choice.variant, architectures=choice.architectures,
                    hub_last_updated=updated.get(choice.tag), pull_count=repo.pull_count if repo else None,
                    description=repo.description if repo else None, size=sizes.get(choice.tag)))
    finally:
        if client is not None:
            client.close()
    return images


def _amd64_size(tag: Any) -> int | None:
    for image in tag.images:
        if (image.os, image.architecture) == ("linux", "amd64") and isinstance(image.size, int):
            return int(image.size)
    return None


def _warn(warnings: list[str] | None, text: str) -> None:
    if warnings is not None:
        warnings.append(text)


def file_catalog(path: str | os.PathLike[str]) -> list[CatalogImage]:
    """A team's catalog: a YAML list (of references, or of `{image: REF}` mappings; or `images:` holding one) or a
    plain text file with one reference a line (`#` comments)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CATALOG_BYTES:
            raise InputError(f"catalog {path} is larger than {MAX_CATALOG_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read catalog {path}: {err.strerror}", remedy="checking the --catalog path") from None
    except UnicodeDecodeError:
        raise InputError(f"catalog {path} is not UTF-8 text", remedy="a YAML list of image references") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict):
        data = data.get("images")
    if isinstance(data, list):
        entries = [_entry(item, path) for item in data]
    else:
        entries = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        entries = [entry for entry in entries if entry]
    images: list[CatalogImage] = []
    seen: set[str] = set()
    for entry in entries:
        try:
            ref = parse_reference(entry)
        except SeawallError as err:
            raise InputError(f"catalog {path}: {err.message}", remedy="fixing the reference in the catalog") from None
        image = CatalogImage(reference=str(ref), repository=_repository_name(ref), tag=ref.tag or ref.digest or "",
                             variant=variant_of(ref.tag or ""))
        if image.key not in seen:
            seen.add(image.key)
            images.append(image)
    if not images:
        raise InputError(f"catalog {path} names no images", remedy="a YAML list of image references")
    return images


def _entry(item: object, path: Path) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("image"), str):
        return item["image"]
    raise InputError(f"catalog {path}: entry {item!r} is not an image reference",
                     remedy="listing references as strings or as `- image: REF`")


def shard(images: Sequence[CatalogImage], spec: str | None) -> list[CatalogImage]:
    """`i/N` (1-based): the images whose digest (or, unresolved, whose key) hashes to part i of N.

    By digest, so the alias tags of one manifest (`3.12`, `3.12-bookworm`, `latest`) fall into one shard and are
    pulled once; by hash, so a tag that moves between the shards' HEAD requests moves alone."""
    ordered = sorted(images, key=lambda image: image.key)
    if not spec:
        return ordered
    index, count = parse_shard(spec)
    return [image for image in ordered if shard_of(image, count) == index]


def shard_of(image: CatalogImage, count: int) -> int:
    """Which of `count` shards (1-based) holds `image`."""
    identity = image.digest or image.key
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big") % count + 1


def parse_shard(spec: str) -> tuple[int, int]:
    head, sep, tail = spec.partition("/")
    if not sep or not head.isdigit() or not tail.isdigit() or not 1 <= int(head) <= int(tail):
        raise InputError(f"--shard {spec!r} is not i/N with 1 <= i <= N", remedy="e.g. --shard 2/4")
    return int(head), int(tail)


def rewrite_for_mirror(reference: str, mirror: str | None) -> str:
    """docker.io/library/x:t → MIRROR/library/x:t; other registries stay as they are."""
    if not mirror:
        return reference
    ref = parse_reference(reference)
    if ref.registry != "docker.io":
        return reference
    return str(replace(ref, registry=mirror.rstrip("/")))
