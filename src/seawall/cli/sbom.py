"""`seawall sbom IMAGE`: every package inside an image."""

from __future__ import annotations

import click

from seawall.cli.common import cache_dir, fetch_options, format_option, image_options, write_output
from seawall.formats import SBOM_FORMATS


@click.command(name="sbom")
@click.argument("image")
@image_options
@format_option(SBOM_FORMATS, help="Output format.")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option("--no-cache", is_flag=True, help="Read every layer even if its inventory is cached.")
@click.pass_context
def sbom(ctx: click.Context, image: str, platform: str | None, insecure: tuple[str, ...], fmt: str,
         output: str | None, no_cache: bool) -> None:
    """List every package in IMAGE (dpkg, apk, rpm, Python, npm, Go, Java, Ruby, PHP).

    IMAGE may also be sbom:FILE, a CycloneDX or SPDX JSON document from any tool.
    """
    from seawall.inventory.api import load_sbom
    from seawall.output import render_sbom

    if not no_cache:
        from seawall.output.license_kinds import remember_in

        remember_in(cache_dir(ctx))
    document = load_sbom(image, fetch=fetch_options(ctx, platform, insecure),
                         use_cache=not no_cache, show_progress=output is not None or fmt == "table")
    write_output(render_sbom(document, fmt), output)
