"""Options and plumbing every image-taking command shares."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from seawall.formats import ALIASES, Format
from seawall.image.options import FetchOptions
from seawall.outfile import write_text_output

F = TypeVar("F", bound=Callable[..., Any])


class FormatChoice(click.Choice):
    """`--format`: the canonical names in `--help`, any alias (`cyclonedx-json`, `md`…) accepted, a `Format` out."""

    name = "format"

    def __init__(self, formats: Sequence[Format]) -> None:
        super().__init__([f.value for f in formats])
        self.formats = tuple(formats)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Format:
        if isinstance(value, str):
            try:
                fmt = Format(value)
            except ValueError:
                fmt = None
            if fmt in self.formats:
                return fmt
        super().convert(value, param, ctx)  # fails with click's message naming the choices
        raise AssertionError(value)


# What a format name means where the name alone does not say it.
_MEANING = {Format.CYCLONEDX: "CycloneDX 1.6 JSON", Format.SPDX: "SPDX 2.3 JSON"}


def format_help(formats: Sequence[Format], text: str = "Output format.") -> str:
    """`text` plus what `cyclonedx`/`spdx` mean and the other spellings accepted (the same in every command)."""
    notes = [f"{fmt.value} is {_MEANING[fmt]}" for fmt in formats if fmt in _MEANING]
    spellings = [f"{alias} for {fmt.value}" for alias, fmt in ALIASES.items() if fmt in formats]
    if spellings:
        notes.append("also accepted: " + ", ".join(spellings))
    return f"{text.rstrip('.')} ({'; '.join(notes)})." if notes else text


def format_option(formats: Sequence[Format], default: Format = Format.TABLE, **kwargs: Any) -> Callable[[F], F]:
    """The `--format` option of a command that writes `formats`."""
    kwargs["help"] = format_help(formats, kwargs.get("help") or "Output format.")
    return click.option("--format", "fmt", type=FormatChoice(formats), default=default.value, show_default=True,
                        **kwargs)


def image_options(func: F) -> F:
    """--platform and --insecure-registry, for every command that opens an image."""
    func = click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST",
                        help="Talk plain HTTP to this registry (repeatable).")(func)
    func = click.option("--platform", metavar="OS/ARCH[/VARIANT]",
                        help="Platform to pick from a multi-platform image (default: this machine's).")(func)
    return func


def cache_dir(ctx: click.Context) -> str | None:
    return (ctx.find_root().obj or {}).get("cache_dir")


def fetch_options(ctx: click.Context, platform: str | None, insecure: Sequence[str]) -> FetchOptions:
    """What `image_options` and the global --cache-dir say about fetching images."""
    return FetchOptions.of(platform, insecure, cache_dir(ctx))


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
