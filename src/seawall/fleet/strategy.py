"""Which tags of an official image to scan: `latest`, every `supported` tag, or one tag per `variants`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seawall.errors import InputError
from seawall.fleet.library_file import LibraryEntry, LibraryFile

STRATEGIES = ("latest", "supported", "variants")
VARIANTS = ("default", "slim", "alpine")


@dataclass(frozen=True)
class TagChoice:
    """A tag a strategy picked to scan, with its variant (default, slim, alpine) and the tags it shares a build with."""

    tag: str
    variant: str
    shared_tags: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()


def variant_of(tag: str) -> str:
    """default | slim | alpine | windows | <other suffix>, read from the tag's dash-separated words."""
    words = tag.lower().split("-")
    if any(word.startswith("alpine") for word in words):
        return "alpine"
    if any(word.startswith(("windowsservercore", "nanoserver", "ltsc")) for word in words):
        return "windows"
    if "slim" in words or any(word.startswith("slim") for word in words):
        return "slim"
    return "default"


def _linux(entry: LibraryEntry) -> bool:
    return any(not arch.startswith("windows-") for arch in entry.architectures)


def _choice(entry: LibraryEntry, tag: str) -> TagChoice:
    return TagChoice(tag, variant_of(tag), entry.shared_tags, entry.architectures)


def select_tags(library: LibraryFile, strategy: str, hub_updated: Mapping[str, str] | None = None,
                ) -> list[TagChoice]:
    """The tags of `library` to scan. `hub_updated` (tag → last_updated, from Docker Hub) breaks the tie
    when an image has no `latest`: the most recently pushed tag is taken."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown tag strategy {strategy!r}", remedy=f"one of {', '.join(STRATEGIES)}")
    entries = [entry for entry in library.entries if _linux(entry)]
    if not entries:
        return []
    if strategy == "supported":
        return [_choice(entry, tag) for entry in entries for tag in entry.tags]
    if strategy == "latest":
        return [_latest(entries, hub_updated)]
    return _variants(entries)


def _latest(entries: list[LibraryEntry], hub_updated: Mapping[str, str] | None) -> TagChoice:
    for entry in entries:
        if "latest" in entry.tags or "latest" in entry.shared_tags:
            return _choice(entry, "latest")
    if hub_updated:
        known = [(hub_updated[tag], tag, entry) for entry in entries for tag in entry.tags if tag in hub_updated]
        if known:
            _, tag, entry = max(known, key=lambda item: (item[0], -len(item[1])))
            return _choice(entry, tag)
    # Definition files list the newest release first; its shortest tag is the most general name for it.
    return _choice(entries[0], min(entries[0].tags, key=len))


def _variants(entries: list[LibraryEntry]) -> list[TagChoice]:
    chosen: list[TagChoice] = []
    for variant in VARIANTS:
        bare = "latest" if variant == "default" else variant
        named = next((entry for entry in entries if bare in entry.tags or bare in entry.shared_tags), None)
        if named is not None:
            chosen.append(TagChoice(bare, variant, named.shared_tags, named.architectures))
            continue
        for entry in entries:
            tags = [tag for tag in entry.tags if variant_of(tag) == variant]
            if tags:
                chosen.append(_choice(entry, min(tags, key=len)))
                break
    return chosen
