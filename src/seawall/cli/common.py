"""Options and plumbing every image-taking command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from seawall.outfile import write_text_output

F = TypeVar("F", bound=Callable[..., Any])


def image_options(func: F) -> F:
    """--platform and --insecure-registry, for every command that opens an image."""
    func = click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST",
                        help="Talk plain HTTP to this registry (repeatable).")(func)
    func = click.option("--platform", metavar="OS/ARCH[/VARIANT]",
                        help="Platform to pick from a multi-platform image (default: this machine's).")(func)
    return func


def cache_dir(ctx: click.Context) -> str | None:
    return (ctx.find_root().obj or {}).get("cache_dir")


def write_output(text: str, output: str | None) -> None:
    """Write to stdout, or to `output`: atomically for a regular file, through a device, FIFO or symlink."""
    write_text_output(text, output)
