"""The merged inventory of a whole image, kept beside the per-layer results: re-reading an image whose layers are
unchanged reads one file instead of merging every layer's results again (the squash, the package URLs, ownership
and vendors were most of a warm run's work on a large image).

The key is seawall's version, a fingerprint of the modules that decide what an inventory holds (size and
modification time of each module directly in the package and under blobs/, catalog/, fs/, inventory/, model/: a
changed cataloger or merge step never serves an old inventory, even before its version is bumped), the catalogers'
keys, the layer-facts version and, per layer, its index, diff_id and history line. Only what follows from those is
kept: the image itself is always the one just resolved, the distribution's end-of-life flag is worked out again for
today, and vulnerabilities are never cached (a scan matches against the DB on every run).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from functools import cache
from pathlib import Path

from seawall import __version__
from seawall.catalog import CATALOGER_KEYS
from seawall.inventory.layercache import FACTS_VERSION, LayerCache, is_layer_digest
from seawall.model.image import Image
from seawall.model.sbom import SBOM, Distro, Package, Unknown
from seawall.model.serialize import from_data, to_data

FORMAT = 1  # of the stored entry
DECIDING = ("blobs", "catalog", "fs", "inventory", "model")  # subpackages whose code shapes an inventory
SCANNERS_DECIDING = ("secrets", "config_checks")  # … and those that shape the secret and configuration findings


@cache
def code_fingerprint() -> str:
    """A digest of (path, size, mtime) of every module of the installed seawall package that shapes an inventory."""
    return fingerprint(Path(__file__).resolve().parent.parent, DECIDING)


def fingerprint(root: Path, folders: tuple[str, ...]) -> str:
    """The modules directly in `root` (shared helpers such as jsonbound.py) and everything under `folders`."""
    rows: list[str] = []
    pending = [root, *(root / folder for folder in folders)]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if folder != root and entry.name != "__pycache__":
                        pending.append(Path(entry.path))
                elif entry.name.endswith((".py", ".sql", ".yaml", ".json")) and entry.is_file():
                    stat = entry.stat()
                    rows.append(f"{os.path.relpath(entry.path, root)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


def image_key(image: Image) -> str | None:
    """The entry's name, or None for an image that is not content-addressed layer by layer."""
    if not image.layers or not all(is_layer_digest(layer.diff_id) for layer in image.layers):
        return None
    basis = [FORMAT, __version__, code_fingerprint(), [list(key) for key in CATALOGER_KEYS], FACTS_VERSION,
             [[layer.index, layer.diff_id, layer.created_by] for layer in image.layers]]
    return hashlib.sha256(json.dumps(basis, separators=(",", ":")).encode()).hexdigest()


def results_key(key: str, image: Image, parts: list[str]) -> str | None:
    """The entry name of the scanners' results derived from the image `key` names: its config and manifest count
    too (configuration checks read the config, minimality the compressed sizes), and `parts` (each analyzer's
    name and version; the secret rules are in the name) and the code of the scanners."""
    if not image.digest or not image.config_digest:
        return None
    basis = [FORMAT, key, image.digest, image.config_digest, _scanners_fingerprint(), sorted(parts)]
    return hashlib.sha256(json.dumps(basis, separators=(",", ":")).encode()).hexdigest()


@cache
def _scanners_fingerprint() -> str:
    return fingerprint(Path(__file__).resolve().parent.parent, SCANNERS_DECIDING)


def load_results(cache: LayerCache, key: str) -> dict[str, object] | None:
    """What `store_results` kept under `key`, or None."""
    data = cache.get_image(key)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("results"), dict):
        return None
    results: dict[str, object] = data["results"]
    return results


def store_results(cache: LayerCache, key: str, results: dict[str, object]) -> None:
    cache.put_image(key, {"format": FORMAT, "results": results})


def load(cache: LayerCache, key: str, image: Image, today: date | None) -> tuple[SBOM, int | None, int | None] | None:
    """The cached SBOM for `image` (with the end-of-life flag for `today`), its uncompressed size and entries."""
    data = cache.get_image(key)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    try:
        distro = from_data(Distro, data["distro"]) if data.get("distro") is not None else None
        packages = tuple(from_data(Package, item) for item in data["packages"])
        unknowns = tuple(from_data(Unknown, item) for item in data["unknowns"])
        size, entries = data.get("uncompressed_size"), data.get("entries")
    except (KeyError, TypeError, ValueError):
        return None  # damaged: rebuilt from the layers' results
    if not isinstance(size, int | None) or not isinstance(entries, int | None):
        return None
    return SBOM(image=image, distro=_for_today(distro, today), packages=packages, unknowns=unknowns), size, entries


def store(cache: LayerCache, key: str, sbom: SBOM, size: int | None, entries: int | None) -> None:
    cache.put_image(key, {
        "format": FORMAT,
        "distro": to_data(sbom.distro) if sbom.distro is not None else None,
        "packages": [to_data(package) for package in sbom.packages],
        "unknowns": [to_data(unknown) for unknown in sbom.unknowns],
        "uncompressed_size": size,
        "entries": entries,
    })


def _for_today(distro: Distro | None, today: date | None) -> Distro | None:
    """What `detect_distro` decides about end of life, decided again: the cached answer was for another day."""
    if distro is None:
        return None
    from seawall.catalog.eol import with_eol

    return with_eol(distro, today)
