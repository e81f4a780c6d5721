"""The official catalog is read from the real definition files exactly, and tag strategies pick what people expect."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from seawall.errors import InputError
from seawall.fleet.catalog import file_catalog, official_catalog, parse_shard, rewrite_for_mirror, shard
from seawall.fleet.library_file import LibraryFileError, parse_library_file, read_library_dir
from seawall.fleet.strategy import select_tags, variant_of


@pytest.fixture(scope="module")
def library(shared_data: Path) -> Path:
    return shared_data / "official-images" / "library"


@pytest.fixture(scope="module")
def libraries(library: Path) -> dict:
    return {lib.name: lib for lib in read_library_dir(library)}


def test_every_definition_file_parses_with_every_tag(library: Path, libraries: dict) -> None:
    assert len(libraries) == len([p for p in library.iterdir() if p.is_file()]) == 144
    # An independent count: every comma-separated value on every `Tags:` line of every file.
    naive = sum(len([t for t in line[5:].split(",") if t.strip()])
                for path in library.iterdir() for line in path.read_text().splitlines() if line.startswith("Tags:"))
    assert sum(len(lib.tags) for lib in libraries.values()) == naive == 9474
    assert sum(len(lib.entries) for lib in libraries.values()) == 2121
    for lib in libraries.values():
        for entry in lib.entries:
            assert re.fullmatch(r"[0-9a-f]{40}", entry.git_commit), (lib.name, entry.tags)
            assert entry.architectures and entry.git_repo.startswith("https://")


def test_redis_first_entry_exactly(libraries: dict) -> None:
    redis = libraries["redis"]
    assert redis.git_repo == "https://github.com/redis/docker-library-redis.git"
    assert len(redis.maintainers) == 8 and redis.maintainers[0] == "Yossi Gottlieb <yossi@redis.com> (@yossigo)"
    first = redis.entries[0]
    assert first.tags == ("8.10.1", "8.10", "8", "8.10.1-trixie", "8.10-trixie", "8-trixie", "latest", "trixie")
    assert first.architectures == ("amd64", "arm32v5", "arm32v7", "arm64v8", "i386", "riscv64", "ppc64le", "s390x")
    assert first.git_commit == "3b10654333bfc145b9eeed55c4bf495a81ac8ec0"
    assert (first.git_fetch, first.directory, first.file) == ("refs/tags/v8.10.1", "debian", "Dockerfile")
    assert redis.entry_for("alpine").directory == "alpine"


def test_debian_globals_and_per_architecture_overrides(libraries: dict) -> None:
    bookworm = libraries["debian"].entry_for("bookworm")
    assert bookworm.git_commit == "7935fc7dd049cb343df42037c152f570069d274f"  # the global, not overridden
    assert bookworm.for_arch("arm64v8", "GitCommit") == "14d91d295c23da6cc04d4bfe8b3d74a8a6c54e5c"
    assert bookworm.for_arch("amd64", "GitFetch") == "refs/heads/dist-amd64"
    assert (bookworm.directory, bookworm.file, bookworm.builder) == ("bookworm/oci", "index.json", "oci-import")


def test_deprecated_images_have_no_entries(libraries: dict) -> None:
    assert libraries["notary"].entries == () and libraries["clefos"].entries == ()
    assert select_tags(libraries["notary"], "latest") == []


def test_strategies(libraries: dict) -> None:
    assert [c.tag for c in select_tags(libraries["redis"], "latest")] == ["latest"]
    assert [(c.tag, c.variant) for c in select_tags(libraries["python"], "variants")] == [
        ("latest", "default"), ("slim", "slim"), ("alpine", "alpine")]
    supported = select_tags(libraries["redis"], "supported")
    assert len(supported) == len(libraries["redis"].tags)
    # mongo has no `latest`: the newest Linux entry's shortest tag, or the tag Docker Hub saw pushed last.
    assert [c.tag for c in select_tags(libraries["mongo"], "latest")] == ["8.3-noble"]
    hub = {"8.3-noble": "2026-08-01T00:00:00Z", "7.0-jammy": "2026-08-20T00:00:00Z"}
    assert [c.tag for c in select_tags(libraries["mongo"], "latest", hub)] == ["7.0-jammy"]
    assert all(c.variant != "windows" for c in select_tags(libraries["mongo"], "supported"))


def test_variant_names() -> None:
    assert [variant_of(t) for t in ("3.12-slim-bookworm", "alpine3.20", "1.27-alpine", "latest", "ltsc2022")] == [
        "slim", "alpine", "alpine", "default", "windows"]


def test_official_catalog_selection(library: Path) -> None:
    images = official_catalog(library, "variants", names={"python", "redis"})
    assert [image.key for image in images] == ["python:latest", "python:slim", "python:alpine", "redis:latest",
                                               "redis:alpine"]
    assert images[0].reference == "docker.io/library/python:latest"


def test_malformed_definition_files_name_the_line() -> None:
    with pytest.raises(LibraryFileError, match=r"library/x:4: expected `Field: value`"):
        parse_library_file("Maintainers: a (@a)\nGitRepo: https://x\n\nnot a field\n", "x")
    with pytest.raises(LibraryFileError, match="has no GitCommit"):
        parse_library_file("GitRepo: https://x\n\nTags: 1\n", "x")
    with pytest.raises(LibraryFileError, match="given twice"):
        parse_library_file("GitRepo: https://x\nGitRepo: https://y\n", "x")


def test_continuation_lines_and_comments() -> None:
    lib = parse_library_file("# generated\nMaintainers: A (@a),\n  B (@b)\nGitRepo: https://x\nGitCommit: " + "a" * 40
                             + "\n\nTags: 1, 1.0,\n  latest\n", "x")
    assert lib.maintainers == ("A (@a)", "B (@b)")
    assert lib.entries[0].tags == ("1", "1.0", "latest")
    assert lib.entries[0].directory == "." and lib.entries[0].architectures == ("amd64",)


def test_catalog_file_yaml_and_plain(tmp_path: Path) -> None:
    yaml_file = tmp_path / "fleet.yaml"
    yaml_file.write_text("images:\n  - python:3.12-slim\n  - image: ghcr.io/acme/api:2.1\n  - python:3.12-slim\n")
    assert [i.key for i in file_catalog(yaml_file)] == ["python:3.12-slim", "ghcr.io/acme/api:2.1"]
    plain = tmp_path / "fleet.txt"
    plain.write_text("# ours\nregistry.example.com:5000/team/app:1\nalpine\n")
    assert [i.reference for i in file_catalog(plain)] == ["registry.example.com:5000/team/app:1",
                                                          "docker.io/library/alpine:latest"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {name: 1}\n")
    with pytest.raises(InputError, match="not an image reference"):
        file_catalog(bad)


def test_shards_partition_the_catalog(library: Path) -> None:
    images = official_catalog(library, "latest")
    parts = [shard(images, f"{i}/3") for i in (1, 2, 3)]
    assert sorted(i.key for part in parts for i in part) == sorted(i.key for i in images)
    assert min(len(p) for p in parts) >= len(images) / 3 * 0.7  # hashing spreads them roughly evenly
    # Alias tags of one digest land in one shard, whatever their names.
    same = [dataclasses.replace(image, digest="sha256:" + "ab" * 32) for image in images[:5]]
    assert sorted(len([i for i in shard(same, f"{n}/3")]) for n in (1, 2, 3)) == [0, 0, 5]
    with pytest.raises(InputError):
        parse_shard("4/3")


def test_mirror_rewrites_only_docker_hub() -> None:
    assert rewrite_for_mirror("docker.io/library/redis:7", "127.0.0.1:5000") == "127.0.0.1:5000/library/redis:7"
    assert rewrite_for_mirror("ghcr.io/a/b:1", "127.0.0.1:5000") == "ghcr.io/a/b:1"
