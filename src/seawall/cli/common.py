"""Options and plumbing every image-taking command shares."""

from __future__ import annotations

import os
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


def db_repository_option(func: F) -> F:
    """--db-repository, for every command that may need a DB: where the published DB is pulled from."""

    def remember(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> None:
        # Through the environment, so fleet workers and every library call that ensures a DB see the same list.
        if values:
            os.environ["SEAWALL_DB_REPOSITORY"] = ",".join(values)

    return click.option("--db-repository", multiple=True, metavar="REF", expose_value=False, callback=remember,
                        is_eager=True,
                        help="Pull the published DB from this repository when there is none or it has aged "
                             "(repeatable, tried in order; default: $SEAWALL_DB_REPOSITORY, else "
                             "ghcr.io/seawall/seawall-db).")(func)
