"""Registry authentication: `WWW-Authenticate` challenges, the Bearer token flow, Basic auth, a token cache."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from seawall.errors import AuthError, IntegrityError, NetworkError
from seawall.image.docker_config import Credentials
from seawall.image.transfer import TransferBudget, read_limited
from seawall.jsonbound import loads as json_loads

DEFAULT_TOKEN_LIFETIME = 60.0  # the token spec's default when expires_in is absent
MAX_TOKEN_RESPONSE = 1024 * 1024
MAX_CLOCK_SKEW = 60.0
_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')


@dataclass(frozen=True)
class Challenge:
    """One `WWW-Authenticate` challenge of a registry: its scheme and parameters (realm, service, scope)."""

    scheme: str  # "bearer" | "basic" | other, lowercased
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")


def parse_challenge(header: str | None) -> Challenge | None:
    """`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"`."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if not match or match.end() == pos:
            break
        quoted, bare = match.group(2), match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        pos = match.end()
    return Challenge(scheme.lower(), params)


def basic_header(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass
class _Token:
    """A bearer token in the cache, with the time it stops being sent."""

    value: str
    expires_at: float


def _expiry(doc: dict[str, object], now: float) -> float:
    lifetime = doc.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_TOKEN_LIFETIME
    issued = now
    issued_at = doc.get("issued_at")
    if isinstance(issued_at, str):
        try:
            stamp = datetime.fromisoformat(issued_at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            stamp = now
        # The service's issue time counts unless the two clocks disagree by more than any sane skew.
        if abs(stamp - now) <= MAX_CLOCK_SKEW:
            issued = min(now, stamp)
    # Renew a little early so a token does not expire in flight; proportionate for short-lived tokens.
    return issued + seconds - min(10.0, seconds / 10)


class TokenCache:
    """Bearer tokens per (realm, service, scopes); thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._tokens: dict[tuple[str, str, tuple[str, ...]], _Token] = {}
        self._lock = threading.Lock()
        self.clock = clock

    def get(self, key: tuple[str, str, tuple[str, ...]]) -> str | None:
        with self._lock:
            token = self._tokens.get(key)
            if token is None or token.expires_at <= self.clock():
                self._tokens.pop(key, None)
                return None
            return token.value

    def put(self, key: tuple[str, str, tuple[str, ...]], value: str, expires_at: float) -> None:
        with self._lock:
            self._tokens[key] = _Token(value, expires_at)

    def drop(self, key: tuple[str, str, tuple[str, ...]]) -> None:
        with self._lock:
            self._tokens.pop(key, None)


def token_key(challenge: Challenge, scopes: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
    return (challenge.realm or "", challenge.params.get("service", ""), tuple(sorted(scopes)))


def may_send_credentials(realm: str, registry_url: str | None) -> bool:
    """Credentials go to an HTTPS realm, or over plain HTTP only to the host of a registry itself spoken to so."""
    target = urlsplit(realm)
    if target.scheme == "https":
        return True
    base = urlsplit(registry_url or "")
    return base.scheme == "http" and target.hostname is not None and target.hostname == base.hostname


def fetch_token(http: httpx.Client, challenge: Challenge, scopes: tuple[str, ...], creds: Credentials | None,
                registry: str, clock: Callable[[], float] = time.time, *, registry_url: str | None = None,
                budget: TransferBudget | None = None) -> tuple[str, float]:
    """Ask the challenge's realm for a token for `scopes`; return (token, expires_at).

    `registry_url` is the registry's own base URL: a realm on plain HTTP elsewhere gets no credentials (a
    registry reached over HTTPS must not be able to send them in clear text to any host it names).
    """
    realm = challenge.realm
    if not realm or not realm.startswith(("https://", "http://")):
        raise AuthError(f"{registry} sent a Bearer challenge without a usable realm: {realm!r}")
    withheld = creds is not None and not may_send_credentials(realm, registry_url)
    if withheld:
        creds = None
    service = challenge.params.get("service")
    try:
        if creds is not None and creds.identity_token:
            # An identity token is an OAuth2 refresh token; Docker exchanges it with a form POST.
            form = {"grant_type": "refresh_token", "refresh_token": creds.identity_token, "client_id": "seawall",
                    "scope": " ".join(scopes)}
            if service:
                form["service"] = service
            request = http.build_request("POST", realm, data=form)
        else:
            params: list[tuple[str, str | int | float | bool | None]] = [("service", service)] if service else []
            params += [("scope", scope) for scope in scopes]
            headers = {"Authorization": basic_header(creds)} if creds is not None and creds.has_basic else {}
            request = http.build_request("GET", realm, params=params, headers=headers)
        response = http.send(request, stream=True)
    except httpx.HTTPError as err:
        raise NetworkError(f"cannot reach the token service {realm} for {registry}: {err}",
                           remedy="checking your network connection and proxy settings") from None
    try:
        if response.status_code in (401, 403):
            who = f"as {creds.username!r}" if creds is not None and creds.username else "anonymously"
            remedy = (f"a registry whose token realm is https:// ({realm} is plain HTTP, so your credentials "
                      "were not sent to it)") if withheld else f"`docker login {registry}` with valid credentials"
            raise AuthError(f"{registry}: the token service refused the credentials {who} ({response.status_code})",
                            remedy=remedy)
        if response.status_code >= 400:
            raise NetworkError(f"{registry}: token service {realm} answered HTTP {response.status_code}",
                               remedy="again later")
        try:
            body = read_limited(response, MAX_TOKEN_RESPONSE, f"token service response of {realm}", registry, budget)
        except IntegrityError as err:
            raise AuthError(f"{registry}: {err.message}") from None
    finally:
        response.close()
    try:
        doc = json_loads(body, f"token service {realm}", error=AuthError)
    except AuthError:
        raise AuthError(f"{registry}: token service {realm} returned malformed JSON") from None
    token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise AuthError(f"{registry}: token service {realm} returned no token")
    return token, _expiry(doc, clock())
