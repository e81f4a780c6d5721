"""`seawall allowlist check|export|audit`: validate allowlists, hand them to other tools, keep them true."""

from __future__ import annotations

import json
from pathlib import Path

import click

from seawall.cli.common import fetch_options, image_options, write_output

FILE = click.Path(dir_okay=False)


@click.group(name="allowlist")
def allowlist() -> None:
    """Allowlist files: reviewed exceptions with a justification and an expiry (docs/allowlist.md)."""


@allowlist.command(name="check")
@click.argument("files", nargs=-1, required=True, type=FILE)
def check(files: tuple[str, ...]) -> int:
    """Validate allowlist FILES; errors name the file and line."""
    from seawall.triage.allowlist import load_allowlists

    loaded = load_allowlists(files)
    for item in loaded:
        click.echo(f"{item.path}: {len(item.entries)} entries, {len(item.groups)} groups — valid")
    return 0


@allowlist.command(name="export")
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option("--format", "fmt", type=click.Choice(("openvex", "trivyignore", "grype")), required=True)
@click.option("--image", metavar="IMAGE", help="Export the entries that apply to this image (name[:tag]).")
@click.option("--image-digest", metavar="DIGEST", help="With --image and openvex: the image is the VEX product.")
@click.option("--scan", "scans", multiple=True, type=FILE,
              help="A `seawall scan --format json` report, to turn package names into purls (repeatable).")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
def export(files: tuple[str, ...], fmt: str, image: str | None, image_digest: str | None, scans: tuple[str, ...],
           output: str | None) -> int:
    """Export allowlist FILES as OpenVEX, a .trivyignore.yaml or grype ignore rules."""
    from seawall.reports.seawall_json import load_scan_report
    from seawall.triage.allowlist import load_allowlists
    from seawall.triage.export import export_allowlists

    findings = [f for path in scans for f in load_scan_report(path, other_packages=True).findings]
    result = export_allowlists(load_allowlists(files), fmt, image=image, image_digest=image_digest,
                               findings=findings)
    for why in result.skipped:
        click.echo(f"warning: not exported: {why}", err=True)
    write_output(result.text, output)
    return 0


@allowlist.command(name="audit")
@click.argument("files", nargs=-1, required=True, type=FILE)
@image_options
@click.option("--scan", "scans", multiple=True, type=FILE, help="A `seawall scan --format json` report (repeatable).")
@click.option("--image", "images", multiple=True, metavar="IMAGE", help="An image to scan and audit against.")
@click.option("--db", "db_file", type=FILE, help="Vulnerability DB to check entries against (default: cache).")
@click.option("--expiring-days", type=int, default=30, show_default=True, help="Warn this long before expiry.")
@click.option("--min-statement", type=int, default=20, show_default=True,
              help="Without a justification, statements shorter than this are vague.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
@click.pass_context
def audit(ctx: click.Context, files: tuple[str, ...], platform: str | None, insecure: tuple[str, ...],
          scans: tuple[str, ...], images: tuple[str, ...], db_file: str | None, expiring_days: int,
          min_statement: int, fmt: str, output: str | None) -> int:
    """Report expired, expiring, unused, contradicted and vague entries; exit 1 when there is any."""
    from seawall.db.store import VulnStore
    from seawall.paths import db_path
    from seawall.reports.seawall_json import load_scan_report
    from seawall.triage.allowlist import load_allowlists
    from seawall.triage.audit import audit_allowlists

    allowlists = load_allowlists(files)
    reports = [load_scan_report(p, other_packages=True) for p in scans]
    if images:
        from seawall.scan import scan_target

        reports += [scan_target(i, fetch=fetch_options(ctx, platform, insecure),
                                db=db_file, auto_update=False) for i in images]
    db = Path(db_file) if db_file else db_path()
    store = VulnStore.open(db) if db_file or db.is_file() else None
    try:
        result = audit_allowlists(allowlists, reports, store, expiring_days=expiring_days,
                                  min_statement=min_statement)
    finally:
        if store is not None:
            store.close()
    if fmt == "json":
        write_output(json.dumps(result.to_data(), indent=2, ensure_ascii=False), output)
    else:
        lines = [f"{result.entries} entries, {result.scans} scans, "
                 f"{'checked against the DB' if result.checked_db else 'no DB: distribution data not checked'}: "
                 f"{len(result.problems)} problems"]
        for p in result.problems:
            lines.append(f"{p.locator}  {p.id}  {p.kind}: {p.message} — {p.remedy}")
        write_output("\n".join(lines), output)
    return 0 if result.ok else 1
