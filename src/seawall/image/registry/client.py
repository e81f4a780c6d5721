"""OCI distribution API v2 client: manifests and blobs, authentication, retries, safe redirects, verified bytes."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from seawall import __version__
from seawall.errors import AuthError, InputError, IntegrityError, NetworkError
from seawall.image import mediatypes
from seawall.image.blobcache import BlobCache
from seawall.image.docker_config import Credentials, credentials_for
from seawall.image.reference import check_digest, registry_api_host
from seawall.image.registry.auth import Challenge, TokenCache, basic_header, fetch_token, parse_challenge, token_key
from seawall.image.registry.ratelimit import Backoff, RateLimit, parse_rate_limit, parse_retry_after, warn_when_low
from seawall.image.registry.tls import tls_context
from seawall.image.transfer import TransferBudget, error_body
from seawall.model.image import ImageRef

log = logging.getLogger("seawall.registry")

MAX_REDIRECTS = 5
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_RETRY_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError,
                 httpx.ReadError, httpx.WriteError, httpx.PoolTimeout)


@dataclass
class RegistryOptions:
    """How the registry client talks: plain-HTTP hosts, timeouts, backoff, credentials, TLS, minimum rates."""

    insecure_registries: frozenset[str] = frozenset()  # hosts spoken to over plain HTTP (TLS off)
    timeout: float = 30.0
    backoff: Backoff = field(default_factory=Backoff)
    on_rate_limit: Callable[[RateLimit, str], None] | None = warn_when_low
    credentials: Callable[[str], Credentials | None] = credentials_for  # registry host → credentials
    verify: bool | str = True  # TLS verification, or a CA bundle path
    transfer: TransferBudget = field(default_factory=TransferBudget)  # minimum rate per manifest, blob, token


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as fetched: its exact bytes, media type, digest and parsed JSON."""

    data: bytes
    media_type: str
    digest: str
    doc: dict[str, Any]

    @property
    def is_index(self) -> bool:
        return mediatypes.is_index(self.media_type)


def is_loopback(host: str) -> bool:
    hostname = urlsplit(f"//{host}").hostname or ""
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _digest_of(data: bytes, like: str) -> str:
    algorithm = like.split(":", 1)[0] if like.startswith("sha512:") else "sha256"
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def registry_error(response: httpx.Response, body: bytes | None = None) -> str:
    """'MANIFEST_UNKNOWN: manifest unknown' from a registry's JSON error body, or the status line."""
    try:
        errors = (json.loads(body) if body is not None else response.json()).get("errors") or []
        first = errors[0]
        return f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    except Exception:  # any body at all: fall back to the status
        return f"HTTP {response.status_code} {response.reason_phrase}".strip()


class RegistryClient:
    """A synchronous distribution-API client shared by every image from every registry in one run."""

    def __init__(self, options: RegistryOptions | None = None, http: httpx.Client | None = None) -> None:
        self.options = options or RegistryOptions()
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(self.options.timeout), verify=tls_context(self.options.verify),
            follow_redirects=False,
            headers={"User-Agent": f"seawall/{__version__}"})
        self.tokens = TokenCache()
        self.last_rate_limit: RateLimit | None = None
        self._challenges: dict[str, Challenge] = {}
        self._creds: dict[str, Credentials | None] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- addressing -------------------------------------------------------------------------------------------

    def base_url(self, registry: str) -> str:
        host = registry_api_host(registry)
        insecure = registry in self.options.insecure_registries or host in self.options.insecure_registries
        scheme = "http" if insecure or is_loopback(host) else "https"
        return f"{scheme}://{host}"

    def credentials(self, registry: str) -> Credentials | None:
        with self._lock:
            if registry not in self._creds:
                self._creds[registry] = self.options.credentials(registry)
            return self._creds[registry]

    # -- the request loop -------------------------------------------------------------------------------------

    def request(self, method: str, registry: str, path_or_url: str, *, scopes: Iterable[str] = (),
                headers: dict[str, str] | None = None, content: Callable[[], bytes | Iterator[bytes]] | None = None,
                params: dict[str, str] | None = None, stream: bool = False) -> httpx.Response:
        """Send one API request with auth, retries and redirects; the caller closes a streamed response.

        `content` is a factory so a retried upload can send its body again. A redirect to another host never
        carries the Authorization header (blob downloads redirect to CDNs that must not see registry tokens).
        """
        scopes = tuple(scopes)
        base = self.base_url(registry)
        url = path_or_url if "://" in path_or_url else base + path_or_url
        attempt = 0
        answered = replaced = False
        while True:
            try:
                response = self._send_following(method, registry, base, url, scopes, headers, content, params,
                                                stream)
            except _RETRY_ERRORS as err:
                # A name that does not resolve will not resolve in a second either (and offline, it never will).
                wait = None if _is_name_error(err) else self.options.backoff.delay(attempt, None)
                if wait is None:
                    raise NetworkError(f"cannot reach registry {registry_api_host(registry)}: {_reason(err)}",
                                       remedy="checking the registry name, your network connection and "
                                              "proxy settings") from None
                log.info("%s: %s, retrying in %.1fs", registry, _reason(err), wait)
                self.options.backoff.sleep(wait)
                attempt += 1
                continue
            except httpx.HTTPError as err:
                raise NetworkError(f"registry {registry_api_host(registry)}: {_reason(err)}",
                                   remedy="checking the registry name and your network connection") from None
            self._note_rate_limit(response, registry)
            if response.status_code == 401:
                # One round to answer the challenge, one more to replace a rejected token; then the answer stands.
                sent = "authorization" in response.request.headers
                if (sent and not replaced) or (not sent and not answered):
                    replaced, answered = replaced or sent, answered or not sent
                    if self._authenticate(registry, response, scopes):
                        response.close()
                        continue
            if response.status_code in _RETRY_STATUS:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                wait = self.options.backoff.delay(attempt, retry_after)
                if response.status_code == 429 and retry_after is None:
                    wait = None  # a quota, not a hiccup: retrying blindly only burns more of it
                if wait is not None:
                    response.close()
                    log.info("%s answered %s, retrying in %.1fs", registry, response.status_code, wait)
                    self.options.backoff.sleep(wait)
                    attempt += 1
                    continue
            return response

    def _send_following(self, method: str, registry: str, base: str, url: str, scopes: tuple[str, ...],
                        headers: dict[str, str] | None, content: Callable[[], bytes | Iterator[bytes]] | None,
                        params: dict[str, str] | None, stream: bool) -> httpx.Response:
        origin = _origin(base)
        for _ in range(MAX_REDIRECTS + 1):
            send_headers = dict(headers or {})
            if _origin(url) == origin:
                auth = self._auth_header(registry, scopes)
                if auth:
                    send_headers["Authorization"] = auth
            request = self.http.build_request(method, url, headers=send_headers, params=params,
                                              content=content() if content is not None else None)
            response = self.http.send(request, stream=stream)
            if response.status_code not in (301, 302, 303, 307, 308) or "location" not in response.headers:
                return response
            response.close()
            url = urljoin(str(response.url), response.headers["location"])
            params = None  # the Location is complete
            if response.status_code == 303:
                method, content = "GET", None
        raise NetworkError(f"registry {registry_api_host(registry)}: more than {MAX_REDIRECTS} redirects for {url}")

    def _auth_header(self, registry: str, scopes: tuple[str, ...]) -> str | None:
        challenge = self._challenges.get(registry)
        if challenge is None:
            return None
        creds = self.credentials(registry)
        if challenge.scheme == "basic":
            return basic_header(creds) if creds is not None and creds.has_basic else None
        if challenge.scheme == "bearer":
            if creds is not None and creds.registry_token:
                return f"Bearer {creds.registry_token}"
            token = self.tokens.get(token_key(challenge, scopes))
            if token is None:
                token, expires_at = fetch_token(self.http, challenge, scopes, creds, registry, self.tokens.clock,
                                                registry_url=self.base_url(registry), budget=self.options.transfer)
                self.tokens.put(token_key(challenge, scopes), token, expires_at)
            return f"Bearer {token}"
        return None

    def _authenticate(self, registry: str, response: httpx.Response, scopes: tuple[str, ...]) -> bool:
        """Learn the challenge from a 401; True when a retry with (fresh) credentials makes sense."""
        challenge = parse_challenge(response.headers.get("www-authenticate"))
        if challenge is None or challenge.scheme not in ("basic", "bearer"):
            return False
        previous = self._challenges.get(registry)
        self._challenges[registry] = challenge
        if challenge.scheme == "basic":
            creds = self.credentials(registry)
            return creds is not None and creds.has_basic and previous is None
        if previous is not None:
            self.tokens.drop(token_key(previous, scopes))  # rejected or expired early: fetch a new one
        return True

    def _note_rate_limit(self, response: httpx.Response, registry: str) -> None:
        rate = parse_rate_limit(response.headers)
        if rate is not None:
            self.last_rate_limit = rate
            if self.options.on_rate_limit is not None:
                self.options.on_rate_limit(rate, registry)

    # -- errors ---------------------------------------------------------------------------------------------

    def raise_for_status(self, response: httpx.Response, registry: str, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        body = error_body(response) if stream_unread(response) else None
        detail = registry_error(response, body)
        host = registry_api_host(registry)
        login_host = registry if registry != "docker.io" else "docker.io"
        if status == 401:
            creds = self.credentials(registry)
            who = f"as {creds.username!r}" if creds is not None and creds.username else "without credentials"
            raise AuthError(f"{host} refused access to {what} {who}: {detail}",
                            remedy=f"`docker login {login_host}` (or checking that {what} exists)")
        if status == 403:
            raise AuthError(f"{host} denied access to {what}: {detail}", remedy=f"`docker login {login_host}` "
                            "with an account that may read it")
        if status == 429:
            rate = self.last_rate_limit
            quota = f" ({rate.describe()})" if rate is not None else ""
            raise NetworkError(f"{host}: toomanyrequests: pull rate limit reached{quota}",
                               remedy=f"`docker login {login_host}` for a higher limit, or waiting and retrying")
        if status == 404:
            raise InputError(f"{detail.lower() if detail.isupper() else detail} on {host}: {what}")
        raise NetworkError(f"{host} answered {detail} for {what}", remedy="again later")

    # -- manifests ------------------------------------------------------------------------------------------

    def get_manifest(self, ref: ImageRef, accept: str = mediatypes.MANIFEST_ACCEPT) -> Manifest:
        """GET a manifest or index by digest (verified) or tag (checked against Docker-Content-Digest)."""
        reference = ref.digest or ref.tag or "latest"
        response = self.request("GET", ref.registry, f"/v2/{ref.repository}/manifests/{reference}",
                                scopes=(f"repository:{ref.repository}:pull",), headers={"Accept": accept},
                                stream=True)
        try:
            if response.status_code == 404:  # the body is not read: a hostile one may be endless
                raise InputError(f"manifest unknown: {ref}", remedy="checking the image name and tag")
            self.raise_for_status(response, ref.registry, f"manifest {ref}")
            data = read_bounded(response, mediatypes.MAX_MANIFEST_BYTES, f"manifest {ref}", self.options.transfer,
                                registry_api_host(ref.registry))
        finally:
            response.close()
        content_type = response.headers.get("content-type", "").split(";")[0].strip() or None
        media_type, doc = mediatypes.parse_manifest(data, f"manifest {ref}", content_type)
        header_digest = response.headers.get("docker-content-digest")
        wanted = ref.digest or (header_digest if header_digest and header_digest.startswith("sha") else None)
        actual = _digest_of(data, wanted or "sha256:")
        if ref.digest and actual != ref.digest:
            raise IntegrityError(f"manifest digest mismatch for {ref}: the registry served {actual}",
                                 remedy="pulling again; the manifest was not used")
        if header_digest and header_digest != actual and header_digest.split(":")[0] == actual.split(":")[0]:
            raise IntegrityError(f"manifest for {ref} does not match the registry's Docker-Content-Digest "
                                 f"{header_digest} (computed {actual})")
        return Manifest(data, media_type, actual, doc)

    def head_manifest(self, ref: ImageRef) -> str | None:
        """The digest the registry reports for a tag or digest, or None when it does not exist."""
        reference = ref.digest or ref.tag or "latest"
        response = self.request("HEAD", ref.registry, f"/v2/{ref.repository}/manifests/{reference}",
                                scopes=(f"repository:{ref.repository}:pull",),
                                headers={"Accept": mediatypes.MANIFEST_ACCEPT})
        if response.status_code == 404:
            return None
        self.raise_for_status(response, ref.registry, f"manifest {ref}")
        return response.headers.get("docker-content-digest") or ref.digest

    # -- blobs ----------------------------------------------------------------------------------------------

    def fetch_blob(self, ref: ImageRef, digest: str, size: int | None, cache: BlobCache) -> Path:
        """The verified local file for blob `digest` of `ref`'s repository, downloading it if not cached."""
        check_digest(digest)
        cached = cache.path(digest, size)
        if cached is not None:
            return cached
        if size is not None and size < 0:
            raise InputError(f"blob {digest} of {ref.name} has a negative size")
        response = self.request("GET", ref.registry, f"/v2/{ref.repository}/blobs/{digest}",
                                scopes=(f"repository:{ref.repository}:pull",), stream=True,
                                headers={"Accept-Encoding": "identity"})  # the stored bytes, not re-encoded
        try:
            if response.status_code == 404:  # the body is not read: a hostile one may be endless
                raise InputError(f"blob unknown: {digest} in {ref.name}",
                                 remedy="re-pushing the image; it is incomplete in its registry")
            self.raise_for_status(response, ref.registry, f"blob {digest}")
            length = response.headers.get("content-length")
            if size is not None and length is not None and length.isdigit() and int(length) > size:
                raise IntegrityError(f"blob {digest} of {ref.name}: the registry offers {length} bytes, "
                                     f"the manifest promises {size}")
            try:
                chunks = self.options.transfer.watch(response.iter_raw(), size, f"blob {digest}",
                                                     registry_api_host(ref.registry))
                return cache.put_stream(digest, chunks, size)
            except httpx.HTTPError as err:
                raise NetworkError(f"download of blob {digest} from {registry_api_host(ref.registry)} failed: "
                                   f"{_reason(err)}", remedy="again") from None
        finally:
            response.close()

    def blob_bytes(self, ref: ImageRef, digest: str, size: int | None, cache: BlobCache,
                   limit: int = mediatypes.MAX_MANIFEST_BYTES) -> bytes:
        """A small blob (a config) read into memory, bounded before download and verified."""
        if size is not None and size > limit:
            raise IntegrityError(f"blob {digest} of {ref.name} is {size} bytes, over the {limit} byte limit")
        return self.fetch_blob(ref, digest, size, cache).read_bytes()


def read_bounded(response: httpx.Response, limit: int, what: str, budget: TransferBudget | None = None,
                 host: str = "") -> bytes:
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise IntegrityError(f"{what} is {length} bytes, over the {limit} byte limit")
    chunks: list[bytes] = []
    total = 0
    try:
        declared = int(length) if length is not None and length.isdigit() else None
        for chunk in (budget or TransferBudget()).watch(response.iter_bytes(), declared, what, host or "the registry"):
            total += len(chunk)
            if total > limit:
                raise IntegrityError(f"{what} is over the {limit} byte limit")
            chunks.append(chunk)
    except httpx.HTTPError as err:
        raise NetworkError(f"reading {what} failed: {_reason(err)}", remedy="again") from None
    return b"".join(chunks)


def stream_unread(response: httpx.Response) -> bool:
    return not response.is_stream_consumed and not response.is_closed


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def _is_name_error(err: BaseException) -> bool:
    seen: BaseException | None = err
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror | ConnectionRefusedError):  # nobody there: a retry finds nobody either
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(err: Exception) -> str:
    text = str(err) or type(err).__name__
    return text.splitlines()[0]


def __getattr__(name: str) -> Any:
    # RegistrySource lives in its own module (it imports this one); importable from here as callers expect.
    if name == "RegistrySource":
        from seawall.image.registry.source import RegistrySource
        return RegistrySource
    raise AttributeError(name)

