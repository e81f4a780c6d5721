"""The blob cache only ever holds verified blobs, survives concurrent writers and corrupt files, and prunes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from seawall.errors import ExitCode, IntegrityError
from seawall.image.blobcache import BlobCache
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_blob
from tests.fixtures.registry import RegistryServer


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def leftovers(cache: BlobCache) -> list[str]:
    return [p.name for p in (cache.root / "sha256").iterdir() if p.name.startswith(".tmp-")]


def test_put_stream_verifies_and_stores(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    data = os.urandom(3 * 1024 * 1024 + 17)
    digest = digest_of(data)
    assert cache.path(digest) is None
    path = cache.put_stream(digest, iter([data[:1000], data[1000:]]), len(data))
    assert path == tmp_path / "sha256" / digest.split(":")[1]
    assert path.read_bytes() == data
    assert cache.path(digest, len(data)) == path
    assert cache.verify(digest)
    assert cache.info().count == 1 and cache.info().bytes == len(data)


@pytest.mark.parametrize(("payload", "expected_size", "message"), [
    (b"tampered!", 9, "digest mismatch"),
    (b"good bytes plus more", 10, "larger than the 10 bytes promised"),
    (b"good", 10, "truncated: 4 of 10 bytes"),
])
def test_bad_stream_is_rejected_and_not_cached(tmp_path: Path, payload: bytes, expected_size: int,
                                               message: str) -> None:
    cache = BlobCache(tmp_path)
    digest = digest_of(b"good bytes")
    with pytest.raises(IntegrityError) as info:
        cache.put_stream(digest, iter([payload]), expected_size)
    assert message in info.value.message
    assert info.value.exit_code == ExitCode.INTEGRITY
    assert cache.path(digest) is None
    assert leftovers(cache) == []


def test_existing_verified_file_wins(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    data = b"same blob"
    first = cache.put_bytes(digest_of(data), data)
    inode = first.stat().st_ino
    second = cache.put_bytes(digest_of(data), data)
    assert second == first and second.stat().st_ino == inode
    assert leftovers(cache) == []


def test_corrupt_entries_are_detected_and_dropped(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    data = os.urandom(4096)
    digest = digest_of(data)
    path = cache.put_bytes(digest, data)
    path.write_bytes(data[:100])  # truncated by hand
    assert cache.path(digest, len(data)) is None
    assert not path.exists()
    path = cache.put_bytes(digest, data)
    path.write_bytes(bytes(4096))  # same size, wrong bytes: only a re-hash sees it
    assert cache.path(digest, len(data)) == path
    assert cache.verify(digest) is False
    assert cache.path(digest) is None


def test_prune_by_age_size_and_all(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    now = time.time()
    blobs = {}
    for age_days, size in ((40, 1000), (20, 2000), (1, 3000)):
        data = os.urandom(size)
        path = cache.put_bytes(digest_of(data), data)
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
        blobs[age_days] = path
    stale_tmp = tmp_path / "sha256" / ".tmp-abandoned"
    stale_tmp.write_bytes(b"x")
    os.utime(stale_tmp, (now - 7200, now - 7200))

    result = cache.prune(older_than=30 * 86400, now=now)
    assert (result.removed, result.freed_bytes, result.kept) == (1, 1000, 2)
    assert not blobs[40].exists() and not stale_tmp.exists()

    result = cache.prune(max_bytes=3500, now=now)  # least recently used goes first
    assert (result.removed, result.kept_bytes) == (1, 3000)
    assert not blobs[20].exists() and blobs[1].exists()

    assert cache.prune().removed == 1
    assert cache.info().count == 0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, timeout=60)


def test_cache_cli_info_and_prune(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "blobs")
    old = cache.put_bytes(digest_of(b"old"), b"old")
    os.utime(old, (time.time() - 90 * 86400,) * 2)
    cache.put_bytes(digest_of(b"new blob"), b"new blob")

    info = run_cli("--cache-dir", str(tmp_path), "cache", "info")
    assert info.returncode == 0, info.stderr
    assert "blobs:      2" in info.stdout and "(11 bytes)" in info.stdout

    pruned = run_cli("--cache-dir", str(tmp_path), "cache", "prune", "--older-than", "30d")
    assert pruned.returncode == 0, pruned.stderr
    assert "removed 1 blobs" in pruned.stdout
    assert not old.exists()

    bad = run_cli("--cache-dir", str(tmp_path), "cache", "prune", "--older-than", "soon")
    assert bad.returncode == ExitCode.USAGE and "not a duration" in bad.stderr

    layer_entry = tmp_path / "layers" / "sha256" / ("ab" * 32) / "dpkg-v1.json"
    layer_entry.parent.mkdir(parents=True)
    layer_entry.write_text("{}")
    listed = run_cli("--cache-dir", str(tmp_path), "cache", "info")
    assert f"layer inventory cache: {tmp_path / 'layers'}" in listed.stdout
    assert "layers:     1" in listed.stdout and "(2 bytes)" in listed.stdout
    assert "images:     0 " in listed.stdout
    everything = run_cli("--cache-dir", str(tmp_path), "cache", "prune", "--all")
    assert everything.returncode == 0 and "removed 1 blobs" in everything.stdout
    assert cache.info().count == 0
    assert "inventories of 1 layers" in everything.stdout and not layer_entry.exists()


FETCH = textwrap.dedent("""
    import sys
    from seawall.image.blobcache import BlobCache
    from seawall.image.reference import parse_reference
    from seawall.image.registry.client import RegistryClient
    ref, digest, size, root = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    print(RegistryClient().fetch_blob(parse_reference(ref), digest, size, BlobCache(root)))
""")


def test_two_processes_fetch_the_same_blob(registry: RegistryServer, tmp_path: Path) -> None:
    data = os.urandom(24 * 1024 * 1024)
    digest = digest_of(data)
    ref = parse_reference(f"{registry.host}/cache/concurrent:1")
    with RegistryClient() as client:
        push_blob(client, ref, digest, data, len(data))
    root = tmp_path / "shared-cache"
    procs = [subprocess.Popen([sys.executable, "-c", FETCH, str(ref), digest, str(len(data)), str(root)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1
    cache = BlobCache(root)
    assert cache.verify(digest)
    assert leftovers(cache) == []
