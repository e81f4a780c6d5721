"""`seawall promote SRC DST --policy P`: gate the build image and copy it to production only when it passes."""

from __future__ import annotations

import json

import click

from seawall.cli.common import cache_dir, db_repository_option, format_option, image_options, write_output
from seawall.formats import VERDICT_FORMATS


@click.command(name="promote")
@click.argument("source")
@click.argument("destination")
@image_options
@click.option("--policy", required=True, type=click.Path(dir_okay=False), help="Policy file (YAML).")
@click.option("--allowlist", "allowlists", multiple=True, type=click.Path(dir_okay=False),
              help="Allowlist file (repeatable).")
@click.option("--vex", "vex", multiple=True, type=click.Path(dir_okay=False), help="VEX document (repeatable).")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help="Baseline file (default: the one published in DESTINATION's repository).")
@click.option("--allow-no-baseline", is_flag=True,
              help="DESTINATION's repository was never promoted to: without a baseline every finding is new "
                   "(otherwise a policy with new_only cannot decide).")
@format_option(VERDICT_FORMATS)
@click.option("--output", "-o", metavar="FILE", help="Write the verdict to FILE instead of standard output.")
@click.option("--base-image", metavar="IMAGE", help="The base image, to tell its findings from the application's.")
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--skip-db-update", is_flag=True, help="Never download a DB; undecided when there is none.")
@db_repository_option
@click.pass_context
def promote(ctx: click.Context, source: str, destination: str, platform: str | None, insecure: tuple[str, ...],
            policy: str, allowlists: tuple[str, ...], vex: tuple[str, ...], baseline: str | None,
            allow_no_baseline: bool, fmt: str,
            output: str | None, base_image: str | None, db_file: str | None, skip_db_update: bool) -> int:
    """Scan and gate SOURCE; on a pass copy it to DESTINATION with its scan attached. Exit codes as `gate`.

    Every platform of a multi-platform SOURCE is judged and must pass; with --platform only that one is judged,
    and DESTINATION receives a new index holding only it."""
    from seawall.policy.gate import GateInputs
    from seawall.policy.promote import promote as run
    from seawall.policy.render import render_verdict

    if baseline and allow_no_baseline:
        raise click.UsageError("--allow-no-baseline contradicts --baseline FILE; give one")
    inputs = GateInputs(policy=policy, allowlists=allowlists, vex=vex, baseline=baseline,
                        allow_no_baseline=allow_no_baseline, db=db_file,
                        auto_update=not skip_db_update, base_image=base_image, platform=platform,
                        insecure_registries=insecure, cache_dir=cache_dir(ctx))
    result = run(source, destination, inputs)
    text = render_verdict(result.verdict, fmt)
    if fmt == "json":
        data = json.loads(text)
        data["promotion"] = {"destination": destination, "digest": result.digest, "referrer": result.referrer,
                             "referrers": result.referrers_via, "baseline": result.baseline_artifact,
                             "source_digest": result.source_digest, "filtered": result.filtered}
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    elif result.digest:
        if result.filtered:
            text += (f"promoted a new index holding only {', '.join(c.platform for c, _ in result.platforms)} "
                     f"(from {result.source_digest})\n")
        text += f"promoted {destination}@{result.digest} (scan attached as {result.referrer})\n"
    else:
        text += "nothing was promoted\n"
    write_output(text, output)
    return int(result.verdict.exit_code)
