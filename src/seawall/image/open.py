"""From the user's words for an image to the `ImageSource` that reads it."""

from __future__ import annotations

import os
from pathlib import Path

from seawall.errors import InputError
from seawall.image.options import DEFAULT_FETCH, FetchOptions
from seawall.image.platforms import parse_platform
from seawall.image.source import ImageSource

LOCAL_TRANSPORTS = ("oci", "oci-archive", "docker-archive", "dir")


def split_path(text: str) -> tuple[str, str | None]:
    """`PATH[:REF]` where PATH may itself hold ':': the longest existing path prefix wins."""
    if os.path.exists(text):
        return text, None
    for i in range(len(text) - 1, 0, -1):
        if text[i] == ":" and os.path.exists(text[:i]):
            return text[:i], text[i + 1:] or None
    path, sep, ref = text.partition(":")
    return path, (ref or None) if sep else None


def open_source(text: str, fetch: FetchOptions = DEFAULT_FETCH) -> ImageSource:
    """`oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:NAME:TAG]`, `dir:PATH`, else a registry."""
    platform = fetch.platform
    plat = parse_platform(platform) if isinstance(platform, str) else platform
    transport, sep, rest = text.partition(":")
    if sep and transport in LOCAL_TRANSPORTS:
        if not rest:
            raise InputError(f"{text!r} names no path", remedy=f"writing {transport}:PATH")
        path, ref = split_path(rest)
        if not os.path.exists(path):
            raise InputError(f"{transport}: {path} does not exist", remedy="checking the path")
        if transport == "dir":
            from seawall.image.rootfs import RootfsSource
            return RootfsSource(Path(rest), platform=plat, source=text)
        if transport == "docker-archive":
            from seawall.image.docker_archive import DockerArchiveSource
            return DockerArchiveSource(Path(path), ref, platform=plat, source=text)
        from seawall.image.oci_layout import OCIArchiveSource, OCILayoutSource
        cls = OCILayoutSource if transport == "oci" else OCIArchiveSource
        return cls(Path(path), ref, platform=plat, source=text)
    from seawall.image.hints import check_not_local

    check_not_local(text)
    # The network client loads only when needed.
    from seawall import paths
    from seawall.image.blobcache import BlobCache
    from seawall.image.registry.client import RegistryClient, RegistryOptions
    from seawall.image.registry.source import RegistrySource

    client = RegistryClient(RegistryOptions(insecure_registries=fetch.insecure_registries))
    try:
        source = RegistrySource(text, client=client, platform=plat, cache=BlobCache(paths.blob_dir(fetch.cache_dir)))
    except BaseException:
        client.close()
        raise
    source._own_client = True  # the client was made here for this source alone: closing the source closes it
    return source
