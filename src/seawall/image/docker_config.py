"""Registry credentials from Docker's config.json: `auths`, `credHelpers` per registry, `credsStore` default."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seawall.errors import AuthError, InputError

log = logging.getLogger("seawall.registry")

DOCKER_HUB_SERVER = "https://index.docker.io/v1/"  # the key Docker stores Hub credentials under
_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_HELPER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credentials:
    """What Docker's config gives for one registry: a user and password, or a token; `repr` hides the secrets."""

    username: str | None = None
    password: str | None = None
    identity_token: str | None = None  # an OAuth2 refresh token, exchanged at the token endpoint
    registry_token: str | None = None  # a bearer token sent as is

    @property
    def has_basic(self) -> bool:
        return bool(self.username) and self.password is not None

    def __repr__(self) -> str:  # never print secrets in a traceback or log line
        return f"Credentials(username={self.username!r}, secret=<hidden>)"


def config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return (Path(base).expanduser() if base else Path.home() / ".docker") / "config.json"


def _host_key(server: str) -> str:
    """'https://index.docker.io/v1/' → 'docker.io'; 'https://host:5000/x' → 'host:5000'."""
    text = server.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].lower()
    return "docker.io" if text in _HUB_HOSTS else text


def helper_server_url(registry: str) -> str:
    return DOCKER_HUB_SERVER if _host_key(registry) == "docker.io" else registry


def load_config(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise InputError(f"cannot read Docker config {path}: {err.strerror}") from None
    try:
        doc = json.loads(text) if text.strip() else {}
    except ValueError as err:
        raise InputError(f"malformed Docker config {path}: {err}", remedy="fixing or removing the file") from None
    if not isinstance(doc, dict):
        raise InputError(f"malformed Docker config {path}: not a JSON object", remedy="fixing or removing the file")
    return doc


def credentials_for(registry: str, config: dict[str, Any] | None = None,
                    path: Path | None = None) -> Credentials | None:
    """Credentials for `registry` (a host such as docker.io or localhost:5000), or None for anonymous access.

    Order as Docker: a `credHelpers` entry for the registry, then an `auths` entry, then the `credsStore` helper.
    """
    config = load_config(path) if config is None else config
    host = _host_key(registry)
    helpers = config.get("credHelpers") or {}
    if isinstance(helpers, dict):
        for server, helper in helpers.items():
            if _host_key(server) == host and isinstance(helper, str) and helper:
                return run_helper(helper, helper_server_url(server), required=True)
    auths = config.get("auths") or {}
    if isinstance(auths, dict):
        for server, entry in auths.items():
            if _host_key(server) == host and isinstance(entry, dict):
                creds = _from_auth_entry(entry, server, path or config_path())
                if creds is not None:
                    return creds
    store = config.get("credsStore")
    if isinstance(store, str) and store:
        return run_helper(store, helper_server_url(registry), required=False)
    return None


def _from_auth_entry(entry: dict[str, Any], server: str, path: Path) -> Credentials | None:
    username, password = entry.get("username"), entry.get("password")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InputError(f"malformed 'auth' for {server} in {path}",
                             remedy=f"`docker login {_host_key(server)}` again") from None
        if ":" not in decoded:
            raise InputError(f"malformed 'auth' for {server} in {path}: no ':' between user and password",
                             remedy=f"`docker login {_host_key(server)}` again")
        username, password = decoded.split(":", 1)
    identity = entry.get("identitytoken") or None
    registry_token = entry.get("registrytoken") or None
    if not (username or identity or registry_token):
        return None
    return Credentials(username or None, password if isinstance(password, str) else None, identity, registry_token)


def run_helper(name: str, server_url: str, required: bool) -> Credentials | None:
    """Run `docker-credential-<name> get` with the server URL on stdin, as the Docker CLI does."""
    program = shutil.which(f"docker-credential-{name}")
    if program is None:
        if required:
            raise AuthError(f"credential helper docker-credential-{name} (named in {config_path()}) is not on PATH",
                            remedy=f"installing docker-credential-{name} or removing it from credHelpers")
        log.warning("credential store docker-credential-%s is not on PATH; continuing without credentials", name)
        return None
    try:
        proc = subprocess.run([program, "get"], input=server_url.encode(), capture_output=True,
                              timeout=_HELPER_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise AuthError(f"credential helper docker-credential-{name} failed for {server_url}: {err}",
                        remedy=f"running `docker-credential-{name} get` by hand") from None
    if proc.returncode != 0:
        message = (proc.stdout or proc.stderr).decode(errors="replace").strip()
        if "credentials not found" in message.lower():
            return None
        raise AuthError(f"credential helper docker-credential-{name} failed for {server_url}: "
                        f"{message.splitlines()[0] if message else f'exit status {proc.returncode}'}",
                        remedy=f"running `docker-credential-{name} get` by hand")
    try:
        doc = json.loads(proc.stdout)
        username, secret = doc.get("Username"), doc.get("Secret")
    except (ValueError, AttributeError):
        raise AuthError(f"credential helper docker-credential-{name} printed malformed JSON for {server_url}",
                        remedy=f"running `docker-credential-{name} get` by hand") from None
    if not isinstance(secret, str) or not secret:
        return None
    if username == "<token>":  # Docker's convention for an identity token
        return Credentials(identity_token=secret)
    return Credentials(username=username if isinstance(username, str) else None, password=secret)
