"""HTTP behaviour a real registry can't easily be made to show: Retry-After, rate limits, redirects to another
host, malformed or oversized manifests. A small scripted /v2/ server on loopback plays the registry."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seawall.errors import ExitCode, InputError, IntegrityError, NetworkError
from seawall.image.blobcache import BlobCache
from seawall.image.docker_config import Credentials
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient, RegistryOptions
from seawall.image.registry.ratelimit import Backoff, parse_rate_limit, parse_retry_after

MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "0" * 64, "size": 2},
    "layers": [],
}).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
BLOB = b"layer bytes " * 1000
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class ScriptedServer:
    """Answers each path with its scripted replies in order (the last one repeats) and records every request."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def _answer(self, body: bool = True) -> None:
                path = self.path.split("?")[0]
                scripted.seen.append(Seen(self.command, path, {k.lower(): v for k, v in self.headers.items()}))
                replies = scripted.routes.get(path) or [Reply(404, {}, b'{"errors":[{"code":"NOT_FOUND"}]}')]
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", reply.headers.get("Content-Length", str(len(reply.body))))
                self.end_headers()
                if body:
                    self.wfile.write(reply.body)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.host = f"{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(sleeps: Sleeps | None = None, creds: Credentials | None = None, **kwargs: object) -> RegistryClient:
    backoff = Backoff(attempts=3, base=0.01, max_wait=120, sleep=sleeps if sleeps is not None else Sleeps())
    return RegistryClient(RegistryOptions(backoff=backoff, credentials=lambda _registry: creds, **kwargs))  # type: ignore[arg-type]


def manifest_reply(body: bytes = MANIFEST, **headers: str) -> Reply:
    return Reply(200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json", **headers}, body)


def test_retry_after_seconds_and_date_are_honoured(server: ScriptedServer) -> None:
    path = "/v2/app/manifests/1"
    server.routes[path] = [
        Reply(503, {"Retry-After": "7"}),
        Reply(429, {"Retry-After": formatdate(time.time() + 30, usegmt=True)}),
        Reply(502),
        manifest_reply(),
    ]
    sleeps = Sleeps()
    manifest = client_for(sleeps).get_manifest(parse_reference(f"{server.host}/app:1"))
    assert manifest.digest == MANIFEST_DIGEST
    assert len(server.requests_to(path)) == 4
    assert sleeps[0] == 7.0
    assert 28 <= sleeps[1] <= 30
    assert sleeps[2] < 1  # no Retry-After: exponential backoff from the base


def test_retries_are_bounded(server: ScriptedServer) -> None:
    server.routes["/v2/app/manifests/1"] = [Reply(503)]
    sleeps = Sleeps()
    with pytest.raises(NetworkError) as info:
        client_for(sleeps).get_manifest(parse_reference(f"{server.host}/app:1"))
    assert len(sleeps) == 3 and len(server.seen) == 4
    assert info.value.exit_code == ExitCode.NETWORK


def test_retry_after_beyond_the_bound_fails_at_once(server: ScriptedServer) -> None:
    server.routes["/v2/app/manifests/1"] = [Reply(503, {"Retry-After": "3600"})]
    sleeps = Sleeps()
    with pytest.raises(NetworkError):
        client_for(sleeps).get_manifest(parse_reference(f"{server.host}/app:1"))
    assert sleeps == [] and len(server.seen) == 1


def test_rate_limit_exhausted_says_to_log_in(server: ScriptedServer) -> None:
    server.routes["/v2/app/manifests/1"] = [Reply(429, {
        "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600", "docker-ratelimit-source": "192.0.2.1",
    }, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}')]
    with pytest.raises(NetworkError) as info:
        client_for().get_manifest(parse_reference(f"{server.host}/app:1"))
    line = info.value.one_line()
    assert "toomanyrequests" in line and "0 of 100 pulls left per 6h" in line
    assert f"docker login {server.host}" in line
    assert len(server.seen) == 1  # a spent quota is not retried


def test_low_rate_limit_warns(server: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/v2/app/manifests/1"] = [manifest_reply(**{"ratelimit-limit": "100;w=21600",
                                                               "ratelimit-remaining": "3;w=21600"})]
    client = client_for()
    with caplog.at_level(logging.WARNING, logger="seawall.registry"):
        client.get_manifest(parse_reference(f"{server.host}/app:1"))
    assert client.last_rate_limit is not None and client.last_rate_limit.remaining == 3
    assert "pull rate limit nearly reached: 3 of 100 pulls left per 6h" in caplog.text


def test_header_parsers() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    rate = parse_rate_limit({"ratelimit-limit": "200;w=21600", "ratelimit-remaining": "150;w=21600"})
    assert rate is not None and (rate.limit, rate.remaining, rate.window, rate.low) == (200, 150, 21600, False)
    assert parse_rate_limit({}) is None


def test_redirect_to_another_host_drops_authorization(server: ScriptedServer, tmp_path: Path) -> None:
    cdn = ScriptedServer("127.0.0.2")  # another loopback address: another host
    try:
        challenge = {"WWW-Authenticate": 'Basic realm="test"'}
        blob_path = f"/v2/app/blobs/{BLOB_DIGEST}"
        server.routes[blob_path] = [Reply(401, challenge),
                                    Reply(307, {"Location": f"/v2/app/blobs/moved/{BLOB_DIGEST}"})]
        server.routes[f"/v2/app/blobs/moved/{BLOB_DIGEST}"] = [
            Reply(302, {"Location": f"http://{cdn.host}/cdn/blob?sig=abc"})]
        cdn.routes["/cdn/blob"] = [Reply(200, {"Content-Type": "application/octet-stream"}, BLOB)]
        client = client_for(creds=Credentials("alice", "secret"))
        path = client.fetch_blob(parse_reference(f"{server.host}/app:1"), BLOB_DIGEST, len(BLOB), BlobCache(tmp_path))
        assert path.read_bytes() == BLOB
        expected = "Basic " + base64.b64encode(b"alice:secret").decode()
        assert server.requests_to(blob_path)[-1].headers.get("authorization") == expected
        same_host = server.requests_to(f"/v2/app/blobs/moved/{BLOB_DIGEST}")
        assert same_host[0].headers.get("authorization") == expected  # same host keeps it
        assert len(cdn.seen) == 1 and "authorization" not in cdn.seen[0].headers
    finally:
        cdn.close()


def test_blob_longer_than_its_descriptor_is_refused(server: ScriptedServer, tmp_path: Path) -> None:
    server.routes[f"/v2/app/blobs/{BLOB_DIGEST}"] = [Reply(200, {}, BLOB)]
    cache = BlobCache(tmp_path)
    with pytest.raises(IntegrityError, match="the manifest promises 100"):
        client_for().fetch_blob(parse_reference(f"{server.host}/app:1"), BLOB_DIGEST, 100, cache)
    assert cache.path(BLOB_DIGEST) is None


@pytest.mark.parametrize(("reply", "error", "message"), [
    (manifest_reply(b"{not json"), InputError, "malformed manifest JSON"),
    (Reply(200, {"Content-Type": "application/vnd.example.thing+json"}, b'{"schemaVersion": 2, "thing": 1}'),
     InputError, "unknown manifest media type 'application/vnd.example.thing+json'"),
    (manifest_reply(**{"Docker-Content-Digest": "sha256:" + "1" * 64}), IntegrityError,
     "does not match the registry's Docker-Content-Digest"),
    (manifest_reply(**{"Content-Length": str(5 * 1024 * 1024)}), IntegrityError, "over the 4194304 byte limit"),
    (Reply(200, {"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"},
           b'{"schemaVersion": 1, "fsLayers": []}'), InputError, "schema 1 manifests are not supported"),
])
def test_bad_manifests_are_one_line_errors(server: ScriptedServer, reply: Reply, error: type[Exception],
                                           message: str) -> None:
    server.routes["/v2/app/manifests/1"] = [reply]
    with pytest.raises(error) as info:
        client_for().get_manifest(parse_reference(f"{server.host}/app:1"))
    line = info.value.one_line()  # type: ignore[attr-defined]
    assert message in line and "\n" not in line


def test_manifest_by_digest_must_match(server: ScriptedServer) -> None:
    wanted = "sha256:" + "2" * 64
    server.routes[f"/v2/app/manifests/{wanted}"] = [manifest_reply()]
    with pytest.raises(IntegrityError, match="manifest digest mismatch"):
        client_for().get_manifest(parse_reference(f"{server.host}/app@{wanted}"))


def test_forbidden_is_an_auth_error(server: ScriptedServer) -> None:
    server.routes["/v2/app/manifests/1"] = [Reply(403, {}, b'{"errors":[{"code":"DENIED","message":"denied"}]}')]
    with pytest.raises(Exception) as info:
        client_for().get_manifest(parse_reference(f"{server.host}/app:1"))
    assert info.value.exit_code == ExitCode.AUTH  # type: ignore[attr-defined]
    assert f"docker login {server.host}" in info.value.one_line()  # type: ignore[attr-defined]
