"""Docker Hub's repository API (`/v2/repositories/library/…`): descriptions, pull counts and tag push dates.

These requests read metadata only; none of them counts as an image pull."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from seawall import __version__
from seawall.errors import InputError, NetworkError

HUB_URL = "https://hub.docker.com"
MAX_PAGES = 200  # 20,000 entries: far above any official repository, low enough to stop a looping `next`


@dataclass(frozen=True)
class HubImage:
    """One platform's image of a Docker Hub tag: its manifest digest and compressed size."""

    architecture: str
    os: str
    variant: str | None
    digest: str | None
    size: int | None


@dataclass(frozen=True)
class HubTag:
    """A tag of a Docker Hub repository: when it was last pushed, its digest, and its image per platform."""

    name: str
    last_updated: str | None
    digest: str | None
    images: tuple[HubImage, ...] = ()


@dataclass(frozen=True)
class HubRepository:
    """A Docker Hub repository as its listing describes it: description, pull and star counts, last push."""

    name: str
    description: str
    pull_count: int
    star_count: int
    last_updated: str | None


class HubClient:
    def __init__(self, base_url: str = HUB_URL, *, timeout: float = 30.0, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=timeout, headers={"User-Agent": f"seawall/{__version__}"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pages(self, path: str) -> Iterator[dict[str, Any]]:
        url: str | None = f"{self.base_url}{path}"
        origin = urlsplit(self.base_url).netloc
        for _ in range(MAX_PAGES):
            if url is None:
                return
            try:
                response = self.http.get(url)
            except httpx.HTTPError as err:
                raise NetworkError(f"Docker Hub API {url}: {err}", remedy="checking the network or --hub-url") from None
            if response.status_code == 404:
                raise InputError(f"Docker Hub has no {path.split('?')[0]}", remedy="checking the repository name")
            if response.status_code >= 400:
                raise NetworkError(f"Docker Hub API answered HTTP {response.status_code} for {url}",
                                   remedy="again later")
            try:
                page = response.json()
            except ValueError:
                raise NetworkError(f"Docker Hub API {url} did not answer JSON", remedy="checking --hub-url") from None
            if not isinstance(page, dict):
                raise NetworkError(f"Docker Hub API {url}: unexpected answer", remedy="checking --hub-url")
            yield page
            following = page.get("next")
            url = urljoin(url, following) if isinstance(following, str) and following else None
            # Follow paging only on the same host: a hostile `next` must not send us elsewhere.
            if url is not None and urlsplit(url).netloc != origin:
                raise NetworkError(f"Docker Hub API paging left {origin} for {urlsplit(url).netloc}",
                                   remedy="checking --hub-url")

    def repositories(self, namespace: str = "library") -> list[HubRepository]:
        found = []
        for page in self._pages(f"/v2/repositories/{namespace}/?page_size=100"):
            for item in page.get("results") or ():
                if isinstance(item, dict) and item.get("name"):
                    found.append(HubRepository(
                        name=str(item["name"]), description=str(item.get("description") or ""),
                        pull_count=int(item.get("pull_count") or 0), star_count=int(item.get("star_count") or 0),
                        last_updated=item.get("last_updated")))
        return found

    def tags(self, name: str, namespace: str = "library") -> list[HubTag]:
        found = []
        for page in self._pages(f"/v2/repositories/{namespace}/{name}/tags?page_size=100"):
            for item in page.get("results") or ():
                if not isinstance(item, dict) or not item.get("name"):
                    continue
                images = tuple(
                    HubImage(architecture=str(image.get("architecture") or ""), os=str(image.get("os") or ""),
                             variant=image.get("variant") or None, digest=image.get("digest"),
                             size=image.get("size"))
                    for image in item.get("images") or () if isinstance(image, dict))
                found.append(HubTag(name=str(item["name"]), last_updated=item.get("last_updated"),
                                    digest=item.get("digest"), images=images))
        return found
