"""A registry that trickles, a token service that floods, a token realm on plain HTTP: each is bounded.

A small loopback server plays the hostile registry (no real registry misbehaves on purpose)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seawall.errors import AuthError, ExitCode, InputError, NetworkError
from seawall.image.blobcache import BlobCache
from seawall.image.docker_config import Credentials
from seawall.image.reference import parse_reference
from seawall.image.registry.auth import Challenge, fetch_token, may_send_credentials
from seawall.image.registry.client import RegistryClient, RegistryOptions
from seawall.image.registry.ratelimit import Backoff
from seawall.image.transfer import TransferBudget
from tests.test_hostile import assert_one_line_error, run_cli

MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "0" * 64, "size": 2},
    "layers": [],
}).encode()
BLOB = b"layer bytes " * 100
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()

Route = Callable[[BaseHTTPRequestHandler], None]


class Hostile:
    """Loopback HTTP server; each path is answered by a function writing whatever it likes."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.headers: list[dict[str, str]] = []
        self.sent = 0
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                hostile.headers.append({k.lower(): v for k, v in self.headers.items()})
                route = hostile.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


def trickle(body: bytes, every: float, content_type: str = "application/octet-stream") -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(every)
    return route


def flood(chunk: int, total: int, counter: Hostile) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        piece = b" " * chunk
        while counter.sent < total:
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            counter.sent += len(piece)
        handler.wfile.write(b"0\r\n\r\n")
    return route


def client(budget: TransferBudget, creds: Credentials | None = None) -> RegistryClient:
    return RegistryClient(RegistryOptions(backoff=Backoff(attempts=1, base=0.01), transfer=budget,
                                          credentials=lambda _registry: creds))


def test_trickled_blob_is_abandoned_by_its_deadline(hostile: Hostile, tmp_path: Path) -> None:
    hostile.routes[f"/v2/app/blobs/{BLOB_DIGEST}"] = trickle(BLOB, every=0.05)
    cache = BlobCache(tmp_path)
    started = time.monotonic()
    with pytest.raises(NetworkError) as info:
        client(TransferBudget(min_rate=1000, grace=0.5)).fetch_blob(parse_reference(f"{hostile.host}/app:1"),
                                                                    BLOB_DIGEST, len(BLOB), cache)
    # 1,200 bytes at a minimum of 1,000 bytes/s may take 0.5 + 1.2 s; at 20 bytes/s they would take a minute.
    assert time.monotonic() - started < 5
    assert hostile.host in info.value.message and "too slow" in info.value.message
    assert cache.path(BLOB_DIGEST) is None


def test_blob_at_a_slow_but_steady_rate_arrives(hostile: Hostile, tmp_path: Path) -> None:
    body = b"x" * 40
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    hostile.routes[f"/v2/app/blobs/{digest}"] = trickle(body, every=0.01)
    path = client(TransferBudget(min_rate=10, grace=2)).fetch_blob(parse_reference(f"{hostile.host}/app:1"),
                                                                   digest, len(body), BlobCache(tmp_path))
    assert path.read_bytes() == body


def test_trickled_manifest_is_abandoned(hostile: Hostile) -> None:
    hostile.routes["/v2/app/manifests/1"] = trickle(MANIFEST, every=0.05,
                                                    content_type="application/vnd.oci.image.manifest.v1+json")
    with pytest.raises(NetworkError, match="too slow"):
        client(TransferBudget(min_rate=1000, grace=0.5)).get_manifest(parse_reference(f"{hostile.host}/app:1"))


def test_trickling_registry_through_the_command_exits_4(hostile: Hostile, tmp_path: Path) -> None:
    hostile.routes["/v2/"] = lambda h: (h.send_response(200), h.send_header("Content-Length", "0"), h.end_headers())
    hostile.routes["/v2/app/manifests/1"] = trickle(MANIFEST, every=0.2,
                                                    content_type="application/vnd.oci.image.manifest.v1+json")
    result = run_cli("inspect", f"{hostile.host}/app:1", home=tmp_path / "home",
                     SEAWALL_REGISTRY_MIN_RATE="1000", SEAWALL_REGISTRY_GRACE="1")
    assert_one_line_error(result, ExitCode.NETWORK, hostile.host)


def test_token_body_is_read_with_a_bound(hostile: Hostile) -> None:
    hostile.routes["/token"] = flood(64 * 1024, 300 * 1024 * 1024, hostile)
    challenge = Challenge("bearer", {"realm": f"http://{hostile.host}/token", "service": "x"})
    client_ = client(TransferBudget())
    with pytest.raises(AuthError, match="over the 1048576 byte limit"):
        fetch_token(client_.http, challenge, ("repository:app:pull",), None, hostile.host,
                    registry_url=f"http://{hostile.host}")
    assert hostile.sent < 64 * 1024 * 1024  # the stream was abandoned, not drained


def test_http_realm_of_an_https_registry_gets_no_credentials(hostile: Hostile) -> None:
    token = json.dumps({"token": "t0k3n"}).encode()
    hostile.routes["/token"] = lambda h: (h.send_response(200), h.send_header("Content-Length", str(len(token))),
                                          h.end_headers(), h.wfile.write(token))
    challenge = Challenge("bearer", {"realm": f"http://{hostile.host}/token", "service": "x"})
    creds = Credentials(username="alice", password="secret")
    http = client(TransferBudget()).http
    got, _ = fetch_token(http, challenge, ("repository:app:pull",), creds, "registry.example",
                         registry_url="https://registry.example")
    assert got == "t0k3n" and "authorization" not in hostile.headers[-1]
    # The same realm for a plain-HTTP registry on that very host does get them.
    fetch_token(http, challenge, ("repository:app:pull",), creds, hostile.host, registry_url=f"http://{hostile.host}")
    assert hostile.headers[-1]["authorization"].startswith("Basic ")


def test_credential_rule() -> None:
    assert may_send_credentials("https://auth.example/token", "https://registry.example")
    assert not may_send_credentials("http://auth.example/token", "https://registry.example")
    assert not may_send_credentials("http://registry.example/token", "https://registry.example")
    assert not may_send_credentials("http://other:5000/token", "http://registry:5000")
    assert may_send_credentials("http://registry:5001/token", "http://registry:5000")


def test_deep_json_from_the_registry_is_an_input_error(hostile: Hostile) -> None:
    body = b'{"schemaVersion": 2, "layers": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    hostile.routes["/v2/app/manifests/1"] = lambda h: (
        h.send_response(200), h.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
        h.send_header("Content-Length", str(len(body))), h.end_headers(), h.wfile.write(body))
    with pytest.raises(InputError, match="nested deeper than 100 levels"):
        client(TransferBudget()).get_manifest(parse_reference(f"{hostile.host}/app:1"))


def test_mistyped_annotations_from_the_registry_name_the_field(hostile: Hostile) -> None:
    body = json.dumps({**json.loads(MANIFEST), "annotations": ["x"]}).encode()
    hostile.routes["/v2/app/manifests/1"] = lambda h: (
        h.send_response(200), h.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
        h.send_header("Content-Length", str(len(body))), h.end_headers(), h.wfile.write(body))
    with pytest.raises(InputError, match="field 'annotations' must be a JSON object, not an array"):
        client(TransferBudget()).get_manifest(parse_reference(f"{hostile.host}/app:1"))


def test_endless_error_body_is_not_read_whole(hostile: Hostile) -> None:
    def endless_500(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(500)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        piece = b'{"errors": [' + b" " * 65536
        while hostile.sent < 300 * 1024 * 1024:
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            hostile.sent += len(piece)
        handler.wfile.write(b"0\r\n\r\n")
    hostile.routes["/v2/app/manifests/1"] = endless_500
    with pytest.raises(NetworkError, match="HTTP 500"):
        client(TransferBudget()).get_manifest(parse_reference(f"{hostile.host}/app:1"))
    assert hostile.sent < 64 * 1024 * 1024
