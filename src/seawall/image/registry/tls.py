"""One TLS context per process and trust setting: loading the CA bundle costs tens of milliseconds, and a fleet
worker opens a registry client for every image it scans."""

from __future__ import annotations

import os
import ssl
import threading
from functools import cache

_lock = threading.Lock()


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """The context httpx would build for `verify` (True: SSL_CERT_FILE, SSL_CERT_DIR or certifi's bundle; False:
    no verification; a path: that bundle or directory), made once and shared — SSLContext is safe to share."""
    with _lock:  # two threads asking at once load the bundle once
        return _context(verify, os.environ.get("SSL_CERT_FILE") or "", os.environ.get("SSL_CERT_DIR") or "")


@cache
def _context(verify: bool | str, cert_file: str, cert_dir: str) -> ssl.SSLContext:
    import httpx

    if isinstance(verify, str):
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)
