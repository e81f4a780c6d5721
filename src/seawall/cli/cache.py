"""`seawall cache`: what the blob cache holds, and pruning it."""

from __future__ import annotations

import re

import click

from seawall import paths
from seawall.image.blobcache import BlobCache

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1024**3, "gib": 1024**3, "t": 1024**4, "tb": 1024**4, "tib": 1024**4}


def parse_duration(text: str) -> float:
    """'30d', '12h', '90m', '45s', '2w' → seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text.lower())
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration such as 30d, 12h or 90m")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_size(text: str) -> int:
    """'10G', '500MiB', '1024' → bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text.lower())
    if not match or match.group(2) not in _SIZE_UNITS:
        raise click.BadParameter(f"{text!r} is not a size such as 10G or 500M")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _cache(ctx: click.Context) -> BlobCache:
    override = (ctx.find_root().obj or {}).get("cache_dir")
    return BlobCache(paths.blob_dir(override))


@click.group()
def cache() -> None:
    """Inspect or prune the blob cache (downloaded layers, manifests and configs) and the per-layer inventories."""


@cache.command()
@click.pass_context
def info(ctx: click.Context) -> None:
    """Show where the blob cache and the inventory cache (per layer and whole images) are and how much each holds."""
    from seawall.inventory.layercache import LayerCache

    summary = _cache(ctx).info()
    click.echo(f"blob cache: {summary.root}")
    click.echo(f"blobs:      {summary.count}")
    click.echo(f"size:       {human_size(summary.bytes)} ({summary.bytes} bytes)")
    override = (ctx.find_root().obj or {}).get("cache_dir")
    root = paths.layer_cache_dir(override)
    layers, size = LayerCache(root).info()
    click.echo(f"layer inventory cache: {root}")
    click.echo(f"layers:     {layers}")
    click.echo(f"size:       {human_size(size)} ({size} bytes)")
    images, image_bytes = LayerCache(root).image_info()
    click.echo(f"images:     {images} (whole-image inventories and scanner results, {human_size(image_bytes)})")


@cache.command()
@click.option("--older-than", "older_than", metavar="AGE", help="Remove blobs not used for AGE (e.g. 30d, 12h).")
@click.option("--max-size", "max_size", metavar="SIZE", help="Then remove least recently used blobs above SIZE.")
@click.option("--all", "remove_all", is_flag=True, help="Remove every cached blob and layer inventory.")
@click.pass_context
def prune(ctx: click.Context, older_than: str | None, max_size: str | None, remove_all: bool) -> None:
    """Remove cached blobs and layer inventories: unused for a while (default: 30 days), above a size, or all."""
    if remove_all and (older_than or max_size):
        raise click.UsageError("--all cannot be combined with --older-than or --max-size")
    blobs = _cache(ctx)
    if remove_all:
        result = blobs.prune()
    else:
        age = parse_duration(older_than) if older_than else (None if max_size else parse_duration("30d"))
        result = blobs.prune(older_than=age, max_bytes=parse_size(max_size) if max_size else None)
    click.echo(f"removed {result.removed} blobs ({human_size(result.freed_bytes)}); "
               f"kept {result.kept} ({human_size(result.kept_bytes)})")
    if remove_all or older_than or not max_size:
        from seawall.inventory.layercache import LayerCache

        override = (ctx.find_root().obj or {}).get("cache_dir")
        age = None if remove_all else parse_duration(older_than or "30d")
        layers, freed = LayerCache(paths.layer_cache_dir(override)).prune(age)
        click.echo(f"removed the inventories of {layers} layers ({human_size(freed)})")
