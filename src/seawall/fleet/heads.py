"""HEAD requests for digests (Docker Hub does not count them as pulls) and pacing by its rate-limit headers."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from seawall.errors import SeawallError
from seawall.fleet.catalog import CatalogImage, rewrite_for_mirror
from seawall.image.registry.ratelimit import RateLimit

HEAD_THREADS = 8


class Heads:
    def __init__(self, *, insecure_registries: Sequence[str] = (), registry_mirror: str | None = None,
                 min_remaining: int = 10) -> None:
        from seawall.image.registry.client import RegistryClient, RegistryOptions

        self.mirror = registry_mirror
        self.min_remaining = min_remaining
        self.rate: RateLimit | None = None
        self.client = RegistryClient(RegistryOptions(insecure_registries=frozenset(insecure_registries),
                                                     on_rate_limit=self._observe))

    def __enter__(self) -> Heads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _observe(self, rate: RateLimit, registry: str) -> None:
        self.rate = rate

    def target(self, image: CatalogImage) -> str:
        """What to pull for `image`: its reference, through the mirror."""
        return rewrite_for_mirror(image.reference, self.mirror)

    def digest(self, target: str) -> str | None:
        from seawall.image.reference import parse_reference

        return self.client.head_manifest(parse_reference(target))

    def resolve(self, images: Sequence[CatalogImage]) -> list[CatalogImage]:
        """Each image with the digest its tag points at now; one that cannot be learned stays without (the run
        asks again and stores the reason)."""
        def one(image: CatalogImage) -> CatalogImage:
            try:
                digest = self.digest(self.target(image))
            except SeawallError:
                digest = None
            return dataclasses.replace(image, digest=digest)

        # HEADs wait on the network, not the CPU: a few at a time (httpx's client is thread-safe).
        with ThreadPoolExecutor(HEAD_THREADS, thread_name_prefix="seawall-head") as pool:
            return list(pool.map(one, images))

    def pace(self) -> None:
        """With few pulls left, wait one refill interval (window / limit) per pull instead of running dry."""
        rate = self.rate
        if rate is None or rate.remaining is None or rate.remaining > self.min_remaining:
            return
        interval = (rate.window or 21600) / max(rate.limit, 1)
        time.sleep(min(interval, 600.0))
