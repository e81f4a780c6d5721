"""`seawall baseline create|show`: the baseline a new-only policy judges by, made from what production runs today
and read back from the production registry."""

from __future__ import annotations

import json

import click

from seawall.cli.common import cache_dir, image_options, write_output


@click.group(name="baseline")
def baseline() -> None:
    """Make and read the baselines `gate` and `promote` judge new findings by."""


@baseline.command(name="create")
@click.argument("target")
@image_options
@click.option("--output", "-o", metavar="FILE", help="Write the baseline to FILE.")
@click.option("--publish", metavar="REPOSITORY",
              help="Publish it as REPOSITORY:seawall-baseline, where `promote` and `gate --baseline-from` read it.")
@click.option("--repository", metavar="REPOSITORY",
              help="The repository it is the baseline of (default: --publish, else TARGET's repository).")
@click.option("--allowlist", "allowlists", multiple=True, type=click.Path(dir_okay=False),
              help="Allowlist file (repeatable): findings it suppresses are recorded as admitted under it.")
@click.option("--vex", "vex", multiple=True, type=click.Path(dir_okay=False), help="VEX document (repeatable).")
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--skip-db-update", is_flag=True, help="Never download a DB.")
@click.pass_context
def create(ctx: click.Context, target: str, platform: str | None, insecure: tuple[str, ...], output: str | None,
           publish: str | None, repository: str | None, allowlists: tuple[str, ...], vex: tuple[str, ...],
           db_file: str | None, skip_db_update: bool) -> int:
    """Scan TARGET — the image production runs now, every platform of it — and make its baseline.

    Without -o or --publish the baseline is written to standard output."""
    from seawall.policy.baseline_create import create_baseline
    from seawall.policy.baseline_create import publish as publish_baseline

    created = create_baseline(target, repository=repository or publish, allowlists=allowlists, vex=vex,
                              platform=platform, insecure_registries=insecure, cache_dir=cache_dir(ctx), db=db_file,
                              auto_update=not skip_db_update)
    doc = json.dumps(created.baseline.to_data(), indent=1, sort_keys=True)
    if output or not publish:
        write_output(doc, output)
    if publish:
        digest = publish_baseline(created, publish, insecure)
        where = f" ({', '.join(created.platforms)})" if created.platforms else ""
        click.echo(f"published {created.baseline.repository}:seawall-baseline@{digest}: "
                   f"{len(created.baseline.entries)} entries from {target}"
                   f"{'@' + created.baseline.image_digest if created.baseline.image_digest else ''}{where}")
    return 0


@baseline.command(name="show")
@click.argument("repository")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST",
              help="Talk plain HTTP to this registry (repeatable).")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@click.pass_context
def show(ctx: click.Context, repository: str, insecure: tuple[str, ...], fmt: str) -> int:
    """The baseline published in REPOSITORY (exit 3 when it has none)."""
    from seawall.errors import InputError
    from seawall.image.registry.client import RegistryOptions
    from seawall.policy.baseline_registry import BASELINE_TAG, baseline_tag_ref, fetch_baseline_with

    found = fetch_baseline_with(RegistryOptions(insecure_registries=frozenset(insecure)), repository,
                                cache_dir(ctx))
    if found is None:
        raise InputError(f"{baseline_tag_ref(repository).name} has no published baseline (no {BASELINE_TAG} tag)",
                         remedy="`seawall baseline create IMAGE --publish REPOSITORY`, or promote to it once")
    if fmt == "json":
        write_output(json.dumps({**found.to_data(), "origin": found.origin}, indent=1, sort_keys=True), None)
        return 0
    lines = [f"baseline of {found.repository}  ({found.origin})",
             f"image {found.image_digest or '-'}  created {found.created_at or '-'}  {len(found.entries)} entries"]
    if found.entries:
        rows = [("VULNERABILITY", "SOURCE", "ADMITTED")]
        rows += [(", ".join(e.ids), e.source, e.admitted.describe()) for e in found.entries]
        widths = [min(max(len(r[i]) for r in rows), 50) for i in range(2)]
        lines += [""] + [f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2]}" for r in rows]
    write_output("\n".join(lines) + "\n", None)
    return 0
