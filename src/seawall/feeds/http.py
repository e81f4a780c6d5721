"""Downloads for feeds: conditional GET (ETag / Last-Modified), retries with backoff, a size bound, one-line errors.

Any URL may also be `file://…` or a plain local path, so mirrors, air-gapped copies and tests need no server.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx

from seawall import __version__
from seawall.errors import IntegrityError, NetworkError

DEFAULT_MAX_BYTES = 2 * 1024**3
_RETRY_STATUS = {429, 500, 502, 503, 504}
_MAGIC = {"zip": (b"PK\x03\x04", b"PK\x05\x06"), "gzip": (b"\x1f\x8b",)}


def local_path(url: str) -> Path | None:
    """The local file a URL names (`file://…` or a plain path), else None."""
    if url.startswith("file://"):
        return Path(unquote(urlparse(url).path))
    if "://" not in url:
        return Path(url).expanduser()
    return None


@dataclass(frozen=True)
class Download:
    """The result of one conditional download: whether the file is new, and the validators to send next time."""

    changed: bool
    validators: dict[str, str]


def check_kind(path: Path, url: str, expect: str | None) -> None:
    """Refuse an input of the wrong kind before parsing it: an HTML error page where JSON was promised."""
    if not expect:
        return
    with open(path, "rb") as fh:
        head = fh.read(512)
    if expect in _MAGIC:
        if not head.startswith(_MAGIC[expect]):
            raise IntegrityError(f"{url} is not a {expect} file (starts with {head[:16]!r})",
                                 remedy="checking the URL: the server may have answered with an error page")
        return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"<" or (expect == "json" and text[:1] not in (b"{", b"[")):
        raise IntegrityError(f"{url} is not {expect} (starts with {text[:16]!r})",
                             remedy="checking the URL: the server may have answered with an error page")


CONNECT_TIMEOUT = 10.0


@dataclass
class Http:
    """The feeds' HTTP client: timeouts, retries with backoff, a size bound; its connection pool opened on first use."""

    timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_bytes: int = DEFAULT_MAX_BYTES
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                # A server that does not accept a connection in 10 s is not there (a network that drops packets):
                # failing then, not after a minute per attempt, keeps the no-network case short.
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT)), follow_redirects=True,
                headers={"User-Agent": f"seawall/{__version__}", **self.headers},
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def download(self, url: str, dest: Path, *, validators: dict[str, str] | None = None,
                 expect: str | None = None) -> Download:
        """Fetch `url` into `dest` unless the validators say it is unchanged. `dest` is replaced atomically."""
        local = local_path(url)
        if local is not None:
            return self._local(local, url, dest, validators, expect)
        headers = {}
        if validators and validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators and validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        response_headers = self._with_retries(url, lambda: self._stream(url, headers, part))
        if response_headers is None:  # 304
            return Download(changed=False, validators=dict(validators or {}))
        try:
            check_kind(part, url, expect)
        except IntegrityError:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, dest)
        new = {k: v for k, v in (("etag", response_headers.get("etag")),
                                 ("last_modified", response_headers.get("last-modified"))) if v}
        return Download(changed=True, validators=new)

    def get_json(self, url: str, *, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 slow_down: Collection[int] = (), slow_down_wait: float = 30.0) -> Any:
        """One JSON answer. `slow_down`: statuses by which a server says "too many requests" without 429 (NVD
        answers 403): retried after `slow_down_wait` seconds unless the server says how long."""
        path = local_path(url)
        if path is not None:  # an air-gapped copy: one JSON document holding every page
            if not path.is_file():
                raise NetworkError(f"{path} does not exist", remedy="checking the path of the local copy")
            if path.stat().st_size > self.max_bytes:
                raise IntegrityError(f"{path} is larger than {self.max_bytes} bytes", remedy="checking the file")
            try:
                return json.loads(path.read_bytes())
            except (ValueError, RecursionError) as err:
                raise IntegrityError(f"{path} is not JSON ({err})", remedy="checking the file") from err

        def once() -> Any:
            response = self.client().get(url, params=params, headers=headers or {})
            if response.status_code in _RETRY_STATUS:
                raise _Retryable(f"HTTP {response.status_code}", response.headers.get("retry-after"))
            if response.status_code in slow_down:
                raise _Retryable(f"HTTP {response.status_code} (rate limit)",
                                 response.headers.get("retry-after") or str(slow_down_wait))
            if response.status_code >= 400:
                raise NetworkError(f"{url} answered HTTP {response.status_code}",
                                   remedy="checking the URL and its credentials")
            if len(response.content) > self.max_bytes:
                raise IntegrityError(f"{url} sent more than {self.max_bytes} bytes", remedy="checking the URL")
            try:
                return response.json()
            except (ValueError, RecursionError) as err:
                raise IntegrityError(f"{url} did not answer JSON ({err})",
                                     remedy="checking the URL: it may be an error page") from err

        return self._with_retries(url, once)

    # internals -------------------------------------------------------------------------------------------------

    def _stream(self, url: str, headers: dict[str, str], part: Path) -> httpx.Headers | None:
        with self.client().stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return None
            if response.status_code in _RETRY_STATUS:
                raise _Retryable(f"HTTP {response.status_code}", response.headers.get("retry-after"))
            if response.status_code >= 400:
                raise NetworkError(f"{url} answered HTTP {response.status_code}",
                                   remedy="checking the URL, or `--source NAME=URL` for a mirror")
            size = 0
            try:
                with open(part, "wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise IntegrityError(f"{url} is larger than the {self.max_bytes}-byte bound",
                                                 remedy="checking the URL, or raising the feed's size bound")
                        out.write(chunk)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
            return response.headers

    def _with_retries(self, url: str, call: Callable[[], Any]) -> Any:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                return call()
            except _Retryable as err:
                if last:
                    raise NetworkError(f"{url} answered {err} after {self.retries + 1} attempts",
                                       remedy="again later, or `--source NAME=URL` for a mirror") from None
                wait = _retry_after(err.retry_after, delay)
            except httpx.TransportError as err:
                # A name that does not resolve or a port nobody listens on will not answer in a second either:
                # offline, every retry only delays the one line that says so.
                if last or _unreachable(err):
                    raise NetworkError(f"cannot reach {url}: {type(err).__name__}: {err}".rstrip(": "),
                                       remedy="checking the network, or `--source NAME=URL` for a local copy") from None
                wait = delay
            except httpx.HTTPError as err:
                raise NetworkError(f"cannot download {url}: {err}", remedy="checking the URL") from None
            self.sleep(wait)
            delay *= 2
        raise AssertionError("unreachable")

    def _local(self, path: Path, url: str, dest: Path, validators: dict[str, str] | None,
               expect: str | None) -> Download:
        try:
            st = path.stat()
        except OSError as err:
            raise NetworkError(f"cannot read {url}: {err.strerror}", remedy="checking the path") from None
        if st.st_size > self.max_bytes:
            raise IntegrityError(f"{url} is larger than the {self.max_bytes}-byte bound", remedy="checking the path")
        new = {"size": str(st.st_size), "mtime_ns": str(st.st_mtime_ns)}
        check_kind(path, url, expect)
        if validators == new and dest.exists():
            return Download(changed=False, validators=new)
        # A copy keeps the workspace self-contained: the input cannot change under a later re-parse.
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        with open(path, "rb") as src, open(part, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.replace(part, dest)
        return Download(changed=True, validators=new)


def _unreachable(err: BaseException) -> bool:
    if isinstance(err, httpx.ConnectTimeout):
        return True
    seen: BaseException | None = err
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror | ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: str | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(value: str | None, default: float) -> float:
    try:
        return min(max(float(value), 0.0), 60.0) if value else default
    except ValueError:
        return default

