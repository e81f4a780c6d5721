"""`seawall scan TARGET`: inventory, vulnerabilities judged the distribution's way, in the format CI reads."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from seawall.cli.common import (
    cache_dir,
    db_repository_option,
    fetch_options,
    format_option,
    image_options,
    write_output,
)
from seawall.formats import SCAN_FORMATS
from seawall.model.vuln import Severity

if TYPE_CHECKING:
    from seawall.model.extra import ConfigFinding, SecretFinding
    from seawall.model.finding import ScanReport
    from seawall.output.scan import ScanView

SEVERITIES = [s.value for s in Severity]


@click.command(name="scan")
@click.argument("target")
@image_options
@format_option(SCAN_FORMATS)
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output.")
@click.option("--severity", metavar="LIST",
              help="Only report these severities, comma-separated (e.g. high,critical).")
@click.option("--ignore-unfixed", is_flag=True, help="Hide findings that have no fixed version.")
@click.option("--only-app", is_flag=True, help="Hide findings in the base image's layers.")
@click.option("--exit-code", type=int, default=0, show_default=True,
              help="Exit with this code when any reported finding remains; 8 when none does but some packages "
                   "were not covered by the DB (undecided).")
@click.option("--base-image", metavar="IMAGE", help="The base image, to tell its findings from the application's.")
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--skip-db-update", is_flag=True, help="Never download a DB; fail when there is none.")
@db_repository_option
@click.option("--no-cache", is_flag=True, help="Read every layer even if its inventory is cached.")
@click.option("--allowlist", "allowlists", multiple=True, type=click.Path(dir_okay=False),
              help="Allowlist file whose entries suppress findings (repeatable).")
@click.option("--vex", "vex", multiple=True, type=click.Path(dir_okay=False),
              help="OpenVEX or CycloneDX VEX document (repeatable).")
@click.option("--show-suppressed", is_flag=True, help="Also show findings an allowlist or VEX suppressed.")
@click.option("--scanners", default="vuln,secret,config", show_default=True, metavar="LIST",
              help="What to look for, comma-separated: vuln, secret, config.")
@click.option("--include-distro-defaults", is_flag=True,
              help="Also report configuration findings for files exactly as the distribution's packages ship "
                   "them (the setuid passwd, su, mount… of every Debian image); the JSON always lists them, marked "
                   "distro_default.")
@click.option("--secret-config", type=click.Path(dir_okay=False),
              help="YAML file adding, disabling or allowing secret rules (see docs/secrets.md).")
@click.pass_context
def scan(ctx: click.Context, target: str, platform: str | None, insecure: tuple[str, ...], fmt: str,
         output: str | None, severity: str | None, ignore_unfixed: bool, only_app: bool, exit_code: int,
         base_image: str | None, db_file: str | None, skip_db_update: bool, no_cache: bool,
         allowlists: tuple[str, ...] = (), vex: tuple[str, ...] = (), show_suppressed: bool = False,
         scanners: str = "vuln,secret,config", include_distro_defaults: bool = False,
         secret_config: str | None = None) -> int:
    """Scan TARGET (an image, oci:/docker-archive:/dir: source, or sbom:FILE) for vulnerabilities."""
    from seawall.output.scan import ScanView, render_scan
    from seawall.scan import scan_target

    severities = _severities(severity)
    loaded_allowlists: list = []
    statements: list = []
    if allowlists or vex:  # triage code loads only when asked for: a warm scan is mostly start-up
        from seawall.triage.allowlist import load_allowlists
        from seawall.triage.vex import load_vex_files

        # Read triage files before scanning: a typo in one should not cost a whole scan.
        loaded_allowlists, statements = list(load_allowlists(allowlists)), list(load_vex_files(vex))
    if not no_cache:
        from seawall.output.license_kinds import remember_in

        remember_in(cache_dir(ctx))
    report = scan_target(target, fetch=fetch_options(ctx, platform, insecure),
                         db=db_file, auto_update=not skip_db_update, base_image=base_image,
                         use_cache=not no_cache, show_progress=fmt == "table" or output is not None,
                         scanners=_scanners(scanners), secret_config=secret_config)
    if loaded_allowlists or statements:
        from seawall.triage import apply_triage

        report, triage = apply_triage(report, loaded_allowlists, statements)
        for note in triage.notes():
            click.echo(f"warning: {note}", err=True)
    view = ScanView(severities=severities, ignore_unfixed=ignore_unfixed, only_app=only_app,
                    show_suppressed=show_suppressed, include_distro_defaults=include_distro_defaults)
    if fmt == "table" and not output and sys.stdout.isatty():
        from seawall.output.scan_table import print_table

        print_table(report, view)  # colour on a terminal; plain text everywhere else
    else:
        write_output(render_scan(report, fmt, view), output)
    if exit_code and (any(True for _ in view.visible(report.findings)) or _extra_findings(report, view)):
        return exit_code
    if exit_code and report.coverage is not None and not report.coverage.complete:
        # Packages nothing was checked for are undecided, never clean.
        from seawall.errors import ExitCode

        click.echo(f"warning: {report.coverage.statement()} Exit {int(ExitCode.UNDECIDED)}: undecided.", err=True)
        return int(ExitCode.UNDECIDED)
    return 0


def _scanners(text: str) -> tuple[str, ...]:
    from seawall.scan import SCANNERS

    names = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    bad = [name for name in names if name not in SCANNERS]
    if bad or not names:
        raise click.BadParameter(f"unknown scanner {', '.join(bad) or '(none)'}; choose from {', '.join(SCANNERS)}",
                                 param_hint="--scanners")
    return names


def _extra_findings(report: ScanReport, view: ScanView) -> bool:
    """Secrets and the configuration findings the view shows count for --exit-code too, within --severity."""
    from seawall.output.scan_extra import config

    found: list[SecretFinding | ConfigFinding] = [*(report.secrets or ()), *config(report, view)]
    return any(view.severities is None or item.severity in view.severities for item in found)


def _severities(text: str | None) -> frozenset[Severity] | None:
    if not text:
        return None
    out = set()
    for part in text.split(","):
        part = part.strip().lower()
        if part not in SEVERITIES:
            raise click.BadParameter(f"unknown severity {part!r}; choose from {', '.join(SEVERITIES)}",
                                     param_hint="--severity")
        out.add(Severity(part))
    return frozenset(out)
