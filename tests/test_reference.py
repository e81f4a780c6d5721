"""Image references normalise the way `docker pull` reads them, and malformed ones fail with one clear line."""

from __future__ import annotations

import pytest

from seawall.errors import ExitCode, ImageReferenceError
from seawall.image.reference import familiar_name, parse_reference, registry_api_host

DIGEST = "sha256:" + "ab" * 32

NORMALISED = [
    ("python", "docker.io/library/python:latest"),
    ("python:3.12-slim", "docker.io/library/python:3.12-slim"),
    ("library/python:3.12", "docker.io/library/python:3.12"),
    ("docker.io/python", "docker.io/library/python:latest"),
    ("index.docker.io/library/python:3", "docker.io/library/python:3"),
    ("registry-1.docker.io/bitnami/redis:7.2", "docker.io/bitnami/redis:7.2"),
    ("user/app", "docker.io/user/app:latest"),
    ("ghcr.io/owner/repo/sub:v1.2.3", "ghcr.io/owner/repo/sub:v1.2.3"),
    ("host:5000/a/b:tag", "host:5000/a/b:tag"),
    ("host:5000/a/b", "host:5000/a/b:latest"),
    ("localhost/x", "localhost/x:latest"),
    ("localhost:5000/x:1", "localhost:5000/x:1"),
    ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app:latest"),
    (f"alpine@{DIGEST}", f"docker.io/library/alpine@{DIGEST}"),
    (f"alpine:3.19@{DIGEST}", f"docker.io/library/alpine:3.19@{DIGEST}"),
    ("quay.io/a_b/c-d.e__f:T_1.x-2", "quay.io/a_b/c-d.e__f:T_1.x-2"),
    ("my-registry.example.com/foo---bar", "my-registry.example.com/foo---bar:latest"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALISED)
def test_normalisation(text: str, expected: str) -> None:
    assert str(parse_reference(text)) == expected


def test_parts_and_digest_wins_alongside_tag() -> None:
    ref = parse_reference(f"host:5000/a/b:tag@{DIGEST}")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == ("host:5000", "a/b", "tag", DIGEST)
    assert parse_reference(f"alpine@{DIGEST}").tag is None


def test_familiar_name_and_api_host() -> None:
    assert familiar_name(parse_reference("python:3.12")) == "python:3.12"
    assert familiar_name(parse_reference("user/app:1")) == "user/app:1"
    assert registry_api_host("docker.io") == "registry-1.docker.io"
    assert registry_api_host("ghcr.io") == "ghcr.io"
    assert registry_api_host("localhost:5000") == "localhost:5000"


MALFORMED = [
    ("", "empty image reference"),
    ("   ", "empty image reference"),
    ("Python", "must be lowercase"),
    ("docker.io/User/app", "must be lowercase"),
    ("python:-bad", "invalid tag"),
    ("python:" + "x" * 129, "invalid tag"),
    ("python:a/b", "invalid registry host"),
    ("python@sha256:abc", "needs 64 lowercase hex digits, got 3"),
    ("python@sha256:" + "AB" * 32, "invalid digest"),
    ("python@md5:" + "ab" * 16, "unsupported digest algorithm 'md5'"),
    ("python@", "invalid digest"),
    ("a//b", "invalid repository name"),
    ("-a/b", "invalid repository name"),
    ("host:5000/", "invalid repository name"),
    ("python 3", "whitespace"),
    ("a/" + "b" * 260, "longer than 255"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_references(text: str, message: str) -> None:
    with pytest.raises(ImageReferenceError) as info:
        parse_reference(text)
    assert message in info.value.message
    assert info.value.exit_code == ExitCode.INPUT
    assert "\n" not in info.value.one_line()
