"""Credentials from Docker's config.json and credential helpers, Basic auth and the Bearer token flow, against
real registries (htpasswd and token auth) and a real token service."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from pathlib import Path

import pytest

from seawall.errors import AuthError, ExitCode
from seawall.image.blobcache import BlobCache
from seawall.image.docker_config import credentials_for
from seawall.image.registry.auth import TokenCache, parse_challenge
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_oci_layout
from seawall.image.registry.source import RegistrySource
from tests.fixtures.registry import PASSWORD, USER, RegistryServer, single_image

pytestmark = pytest.mark.registry


def write_docker_config(doc: dict[str, object]) -> Path:
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def auths(host: str, user: str = USER, password: str = PASSWORD) -> dict[str, object]:
    return {"auths": {host: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}}}


def fake_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, secret: str) -> Path:
    """A docker-credential-<name> program on PATH that logs the server URL it was asked about."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    log = tmp_path / f"{name}.log"
    script = bindir / f"docker-credential-{name}"
    script.write_text(f"""#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> {log}
printf '{{"ServerURL":"%s","Username":"{USER}","Secret":"{secret}"}}' "$server"
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def push_with_credentials(server: RegistryServer, tmp_path: Path, repo: str) -> str:
    write_docker_config(auths(server.host))
    image = single_image(repo)
    with RegistryClient() as client:
        return push_oci_layout(client, image.write_layout(tmp_path / "layout"), f"{server.host}/{repo}:1")


def resolve(text: str, tmp_path: Path, client: RegistryClient | None = None) -> str | None:
    with RegistrySource(text, client=client, cache=BlobCache(tmp_path / "cache")) as source:
        image = source.resolve()
        source.layer_file(image.layers[0])
        return image.digest


# -- config.json ------------------------------------------------------------------------------------------------

def test_config_entries_are_read_like_docker(tmp_path: Path) -> None:
    config = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": base64.b64encode(b"hubuser:hubpass").decode()},
            "https://reg.example:5000": {"username": "u", "password": "p"},
            "ghcr.io": {"identitytoken": "refresh-me"},
            "empty.example": {},
        },
    }
    assert credentials_for("docker.io", config).password == "hubpass"
    assert credentials_for("reg.example:5000", config).username == "u"
    assert credentials_for("ghcr.io", config).identity_token == "refresh-me"
    assert credentials_for("empty.example", config) is None
    assert credentials_for("other.example", config) is None
    assert "hubpass" not in repr(credentials_for("docker.io", config))


def test_malformed_config_is_one_input_error(tmp_path: Path) -> None:
    path = write_docker_config({})
    path.write_text("{not json")
    with pytest.raises(Exception) as info:
        credentials_for("docker.io")
    assert f"malformed Docker config {path}" in str(info.value)
    assert info.value.exit_code == ExitCode.INPUT  # type: ignore[attr-defined]


# -- Basic auth (htpasswd) -----------------------------------------------------------------------------------------

def test_basic_auth_from_config_auths(auth_registry: RegistryServer, tmp_path: Path) -> None:
    digest = push_with_credentials(auth_registry, tmp_path, "basic/app")
    assert resolve(f"{auth_registry.host}/basic/app:1", tmp_path) == digest


def test_basic_auth_from_username_password_fields(auth_registry: RegistryServer, tmp_path: Path) -> None:
    digest = push_with_credentials(auth_registry, tmp_path, "basic/fields")
    write_docker_config({"auths": {f"http://{auth_registry.host}": {"username": USER, "password": PASSWORD}}})
    assert resolve(f"{auth_registry.host}/basic/fields:1", tmp_path) == digest


def test_basic_auth_from_a_credential_helper(auth_registry: RegistryServer, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    digest = push_with_credentials(auth_registry, tmp_path, "basic/helper")
    log = fake_helper(tmp_path, monkeypatch, "fake", PASSWORD)
    write_docker_config({"credHelpers": {auth_registry.host: "fake"}, "credsStore": "nonexistent"})
    assert resolve(f"{auth_registry.host}/basic/helper:1", tmp_path) == digest
    assert log.read_text().split() == [auth_registry.host]  # asked once, with the registry's name


def test_credentials_store_is_the_default_helper(auth_registry: RegistryServer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    digest = push_with_credentials(auth_registry, tmp_path, "basic/store")
    log = fake_helper(tmp_path, monkeypatch, "store", PASSWORD)
    write_docker_config({"credsStore": "store"})
    assert resolve(f"{auth_registry.host}/basic/store:1", tmp_path) == digest
    assert log.read_text().split() == [auth_registry.host]


def test_wrong_password_is_an_auth_error(auth_registry: RegistryServer, tmp_path: Path) -> None:
    push_with_credentials(auth_registry, tmp_path, "basic/wrong")
    write_docker_config(auths(auth_registry.host, password="not-the-password"))
    with pytest.raises(AuthError) as info:
        resolve(f"{auth_registry.host}/basic/wrong:1", tmp_path)
    assert info.value.exit_code == ExitCode.AUTH
    line = info.value.one_line()
    assert f"as '{USER}'" in line and f"docker login {auth_registry.host}" in line and "\n" not in line


def test_missing_credentials_is_an_auth_error(auth_registry: RegistryServer, tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="without credentials"):
        resolve(f"{auth_registry.host}/basic/app:1", tmp_path)


# -- Bearer tokens ----------------------------------------------------------------------------------------------

def test_challenge_parsing() -> None:
    challenge = parse_challenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                                'scope="repository:library/python:pull,push",error="insufficient_scope"')
    assert challenge is not None and challenge.scheme == "bearer"
    assert challenge.params == {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                                "scope": "repository:library/python:pull,push", "error": "insufficient_scope"}
    assert parse_challenge('Basic realm="Registry Realm"').scheme == "basic"  # type: ignore[union-attr]


def test_token_flow_pull(token_registry: RegistryServer, tmp_path: Path) -> None:
    digest = push_with_credentials(token_registry, tmp_path, "token/app")
    issuer = token_registry.issuer
    assert issuer is not None
    before = len(issuer.issued)
    assert resolve(f"{token_registry.host}/token/app:1", tmp_path) == digest
    fresh = issuer.issued[before:]
    assert len(fresh) == 1  # one token for the pull scope, cached across manifest, config and layer requests
    assert fresh[0].subject == USER and fresh[0].scopes == ["repository:token/app:pull"]


def test_token_refreshed_when_expired(token_registry: RegistryServer, tmp_path: Path) -> None:
    push_with_credentials(token_registry, tmp_path, "token/expiry")
    issuer = token_registry.issuer
    assert issuer is not None
    offset = [0.0]
    client = RegistryClient()
    client.tokens = TokenCache(clock=lambda: time.time() + offset[0])
    before = len(issuer.issued)
    resolve(f"{token_registry.host}/token/expiry:1", tmp_path / "a", client)
    assert len(issuer.issued) == before + 1
    resolve(f"{token_registry.host}/token/expiry:1", tmp_path / "b", client)
    assert len(issuer.issued) == before + 1  # still valid: reused
    offset[0] = issuer.lifetime + 1  # the token's expires_in has passed
    resolve(f"{token_registry.host}/token/expiry:1", tmp_path / "c", client)
    assert len(issuer.issued) == before + 2
    client.close()


def test_rejected_token_is_replaced_once(token_registry: RegistryServer, tmp_path: Path) -> None:
    digest = push_with_credentials(token_registry, tmp_path, "token/spoiled")
    issuer = token_registry.issuer
    assert issuer is not None
    before = len(issuer.issued)
    issuer.spoil_next = 1  # the next token is expired although it claims a normal lifetime
    assert resolve(f"{token_registry.host}/token/spoiled:1", tmp_path) == digest
    assert [t.expired for t in issuer.issued[before:]] == [True, False]


def test_identity_token_is_exchanged(token_registry: RegistryServer, tmp_path: Path) -> None:
    digest = push_with_credentials(token_registry, tmp_path, "token/identity")
    issuer = token_registry.issuer
    assert issuer is not None
    issuer.identity_tokens["refresh-secret"] = USER
    write_docker_config({"auths": {token_registry.host: {"identitytoken": "refresh-secret"}}})
    assert resolve(f"{token_registry.host}/token/identity:1", tmp_path) == digest


def test_token_service_refuses_wrong_password(token_registry: RegistryServer, tmp_path: Path) -> None:
    write_docker_config(auths(token_registry.host, password="wrong"))
    with pytest.raises(AuthError) as info:
        resolve(f"{token_registry.host}/token/app:1", tmp_path)
    assert "token service refused the credentials as 'alice'" in info.value.message
    assert info.value.exit_code == ExitCode.AUTH


def test_anonymous_without_access_is_an_auth_error(token_registry: RegistryServer, tmp_path: Path) -> None:
    with pytest.raises(AuthError) as info:
        resolve(f"{token_registry.host}/token/app:1", tmp_path)
    assert f"docker login {token_registry.host}" in info.value.one_line()
