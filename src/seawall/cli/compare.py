"""`seawall compare TARGET --with REPORT`: why other scanners' reports differ from seawall's, finding by finding."""

from __future__ import annotations

import click

from seawall.cli.common import (
    db_repository_option,
    fetch_options,
    format_option,
    image_options,
    write_output,
)
from seawall.formats import COMPARE_FORMATS


@click.command(name="compare")
@click.argument("target")
@click.option("--with", "reports", multiple=True, required=True, metavar="REPORT",
              help="Another scanner's report: Trivy JSON, Grype JSON, SARIF or CycloneDX (repeatable).")
@image_options
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--skip-db-update", is_flag=True, help="Never download a DB; fail when there is none.")
@db_repository_option
@click.option("--all", "show_all", is_flag=True, help="List the findings every side agrees on too.")
@format_option(COMPARE_FORMATS)
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
@click.pass_context
def compare(ctx: click.Context, target: str, reports: tuple[str, ...], platform: str | None,
            insecure: tuple[str, ...], db_file: str | None, skip_db_update: bool, show_all: bool, fmt: str,
            output: str | None) -> int:
    """Explain why REPORTs disagree with seawall about TARGET (an image, a source, or report:FILE).

    Exits 0 whatever the reports say: it explains, it does not judge.
    """
    from seawall.compare import compare_target
    from seawall.compare.render import render

    comparison = compare_target(target, reports, db=db_file, auto_update=not skip_db_update,
                                fetch=fetch_options(ctx, platform, insecure),
                                show_progress=fmt == "table" and output is None)
    write_output(render(comparison, fmt, show_all=show_all), output)
    return 0
