"""`seawall fleet push/pull`: the SQLite results store kept in the team's registry as an OCI artifact, so a
scheduled CI job finds every earlier run there each week (CI caches expire; a registry keeps what it is given).

The artifact is an OCI image manifest with `artifactType` application/vnd.seawall.fleet.store.v1, the empty
config, and one layer: a consistent copy of the SQLite file (SQLite's online backup), gzipped."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from seawall.errors import InputError, IntegrityError, SeawallError
from seawall.image import mediatypes

ARTIFACT_TYPE = "application/vnd.seawall.fleet.store.v1"
LAYER_TYPE = "application/vnd.seawall.fleet.store.v1.sqlite+gzip"
EMPTY_CONFIG = b"{}"
MAX_STORE_BYTES = 16 * 1024 ** 3  # unpacked: years of weekly runs of the whole catalog stay far below


def sqlite_path(url: str) -> Path:
    """The file of a `sqlite:///FILE` store URL (or a plain path); other stores live elsewhere already."""
    if "://" not in url:
        return Path(url)
    if not url.startswith("sqlite:///"):
        raise InputError(f"{url.split('://')[0]} stores are kept by their server, not pushed",
                         remedy="pushing and pulling a sqlite:///FILE store, and pointing every job at the "
                                "PostgreSQL URL instead")
    return Path(url[len("sqlite:///"):])


def push_store(store_url: str, reference: str) -> tuple[str, int]:
    """Push the store to `reference` (REGISTRY/REPO:TAG); returns (manifest digest, compressed bytes)."""
    from seawall.fleet.store import ResultsStore
    from seawall.image.reference import parse_reference
    from seawall.image.registry.client import RegistryClient, sha256_digest
    from seawall.image.registry.push import push_blob, push_manifest

    source = sqlite_path(store_url)
    if not source.is_file():
        raise InputError(f"results store {source} does not exist", remedy="checking --store")
    ResultsStore(f"sqlite:///{source}").close()  # a store of this seawall, not any file
    ref = parse_reference(reference)
    with tempfile.TemporaryDirectory(prefix="seawall-push-") as work:
        copy = Path(work) / "fleet.db"
        with sqlite3.connect(source) as live, sqlite3.connect(copy) as target:
            live.backup(target)  # consistent even while another process writes
        live.close()
        target.close()
        packed = Path(work) / "fleet.db.gz"
        with copy.open("rb") as raw, gzip.GzipFile(packed, "wb", compresslevel=6, mtime=0) as out:
            shutil.copyfileobj(raw, out, 1 << 20)
        digest, size = _file_digest(packed), packed.stat().st_size
        manifest = {
            "schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST, "artifactType": ARTIFACT_TYPE,
            "config": {"mediaType": mediatypes.OCI_EMPTY, "digest": sha256_digest(EMPTY_CONFIG), "size": 2},
            "layers": [{"mediaType": LAYER_TYPE, "digest": digest, "size": size,
                        "annotations": {"org.opencontainers.image.title": "fleet.db.gz"}}],
            "annotations": {"org.opencontainers.image.created":
                            datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")},
        }
        data = json.dumps(manifest, separators=(",", ":")).encode()
        with RegistryClient() as client:
            push_blob(client, ref, sha256_digest(EMPTY_CONFIG), EMPTY_CONFIG, len(EMPTY_CONFIG))
            push_blob(client, ref, digest, packed, size)
            return push_manifest(client, ref, data, mediatypes.OCI_MANIFEST), size


def pull_store(reference: str, store_url: str, *, missing_ok: bool = False, replace: bool = False) -> str | None:
    """Pull the store at `reference` into the `store_url` file; returns the manifest digest, or None when the
    reference does not exist yet and `missing_ok` (the first run of a schedule)."""
    from seawall.fleet.store import ResultsStore
    from seawall.image.blobcache import BlobCache
    from seawall.image.reference import parse_reference
    from seawall.image.registry.client import RegistryClient

    target = sqlite_path(store_url)
    if target.exists() and not replace:
        raise InputError(f"{target} exists", remedy="--replace to overwrite it with the pulled store")
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise InputError(f"{target} is not a regular file", remedy="naming a plain file for the store")
    ref = parse_reference(reference)
    with RegistryClient() as client:
        if client.head_manifest(ref) is None:
            if missing_ok:
                return None
            raise InputError(f"no fleet store at {reference}", remedy="--missing-ok on the first run of a schedule")
        manifest = client.get_manifest(ref, accept=mediatypes.OCI_MANIFEST)
        layers = manifest.doc.get("layers") or []
        if manifest.doc.get("artifactType") != ARTIFACT_TYPE or len(layers) != 1 \
                or layers[0].get("mediaType") != LAYER_TYPE:
            raise InputError(f"{reference} is not a seawall fleet store",
                             remedy="naming the reference `seawall fleet push` wrote")
        layer = layers[0]
        size = layer.get("size")
        if not isinstance(size, int) or not 0 < size <= MAX_STORE_BYTES:
            raise IntegrityError(f"{reference}: store layer size {size!r} is out of bounds")
        with tempfile.TemporaryDirectory(prefix="seawall-pull-") as work:
            blob = client.fetch_blob(ref, layer["digest"], size, BlobCache(Path(work) / "blobs"))
            parent = target.parent if str(target.parent) else Path(".")
            parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.")
            try:
                with os.fdopen(fd, "wb") as out, gzip.open(blob, "rb") as packed:
                    _copy_bounded(packed, out, reference)
                ResultsStore(f"sqlite:///{tmp}").close()  # a readable store of a schema this seawall knows
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    return manifest.digest


def _copy_bounded(source: gzip.GzipFile, out: object, what: str) -> None:
    total = 0
    try:
        while chunk := source.read(1 << 20):
            total += len(chunk)
            if total > MAX_STORE_BYTES:
                raise IntegrityError(f"{what}: the store unpacks to more than {MAX_STORE_BYTES} bytes")
            out.write(chunk)  # type: ignore[attr-defined]
    except (OSError, EOFError) as err:
        if isinstance(err, SeawallError):
            raise
        raise IntegrityError(f"{what}: the store layer is not valid gzip ({err})") from None


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return f"sha256:{sha.hexdigest()}"
