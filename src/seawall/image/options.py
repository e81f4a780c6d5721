"""Where and how to fetch an image: one object instead of the same three parameters on every call."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass

from seawall.model.image import Platform


@dataclass(frozen=True)
class FetchOptions:
    """Where and how an image is fetched: which platform, which registries speak plain HTTP, which cache."""

    platform: str | Platform | None = None  # the platform to pick from a multi-platform image (None: this machine's)
    insecure_registries: frozenset[str] = frozenset()  # registry hosts spoken to over plain HTTP
    cache_dir: str | os.PathLike[str] | None = None  # blobs and layer inventories (None: the XDG cache)

    def __post_init__(self) -> None:
        if not isinstance(self.insecure_registries, frozenset):  # callers hand in lists and tuples of hosts
            object.__setattr__(self, "insecure_registries", frozenset(self.insecure_registries))

    @classmethod
    def of(cls, platform: str | Platform | None = None, insecure_registries: Iterable[str] = (),
           cache_dir: str | os.PathLike[str] | None = None) -> FetchOptions:
        return cls(platform, frozenset(insecure_registries), cache_dir)

    def for_platform(self, platform: str | Platform | None) -> FetchOptions:
        return dataclasses.replace(self, platform=platform)


DEFAULT_FETCH = FetchOptions()  # frozen: safe as a shared default
