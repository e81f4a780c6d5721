"""The feeds seawall knows, by name. Each is one module; the list below is the only registration."""

from __future__ import annotations

from seawall.errors import InputError
from seawall.feeds.alpine import AlpineSecdbFeed
from seawall.feeds.amazon import AmazonAlasFeed
from seawall.feeds.debian import DebianTrackerFeed
from seawall.feeds.debian_lists import DebianListsFeed
from seawall.feeds.epss import EpssFeed
from seawall.feeds.interface import Feed, FeedError
from seawall.feeds.kev import KevFeed
from seawall.feeds.nvd import NvdFeed
from seawall.feeds.oracle import OracleOvalFeed
from seawall.feeds.osv import OsvFeed
from seawall.feeds.photon import PhotonFeed
from seawall.feeds.redhat import RedHatCsafFeed
from seawall.feeds.wolfi import ChainguardFeed, WolfiFeed

FEEDS: dict[str, type[Feed]] = {
    cls.name: cls
    for cls in (DebianTrackerFeed, DebianListsFeed, AlpineSecdbFeed, OsvFeed, RedHatCsafFeed, OracleOvalFeed,
                AmazonAlasFeed, PhotonFeed, WolfiFeed, ChainguardFeed, KevFeed, EpssFeed, NvdFeed)
}

__all__ = ["FEEDS", "Feed", "FeedError", "default_feeds", "feed_by_name", "select_feeds"]


def feed_by_name(name: str) -> Feed:
    try:
        return FEEDS[name]()
    except KeyError:
        raise InputError(f"unknown feed {name!r}", remedy=f"one of: {', '.join(sorted(FEEDS))}") from None


def default_feeds() -> list[Feed]:
    return [cls() for cls in FEEDS.values() if cls.default]


def select_feeds(names: list[str] | tuple[str, ...], sources: list[str] | tuple[str, ...] = ()) -> list[Feed]:
    """Feeds by name (none: the defaults), with `NAME=URL` / `NAME.KEY=URL` source overrides applied."""
    feeds = [feed_by_name(n) for n in names] if names else default_feeds()
    for spec in sources:
        target, sep, url = spec.partition("=")
        if not sep or not url:
            raise InputError(f"bad --source {spec!r}", remedy="`--source NAME=URL` or `--source NAME.KEY=URL`")
        name, _, key = target.partition(".")
        matching = [i for i, f in enumerate(feeds) if f.name == name]
        if not matching:
            if name not in FEEDS:
                raise InputError(f"--source names an unknown feed {name!r}", remedy=f"one of: {', '.join(FEEDS)}")
            feeds.append(FEEDS[name]())
            matching = [len(feeds) - 1]
        for i in matching:
            feeds[i] = feeds[i].with_source(key or None, url)
    return feeds
