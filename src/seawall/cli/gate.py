"""`seawall gate TARGET --policy P`: pass (0), policy violated (1), or could not decide (8) — never a silent pass."""

from __future__ import annotations

import click

from seawall.cli.common import cache_dir, db_repository_option, format_option, image_options, write_output
from seawall.formats import VERDICT_FORMATS


@click.command(name="gate")
@click.argument("target")
@image_options
@click.option("--policy", "policy", required=True, type=click.Path(dir_okay=False), help="Policy file (YAML).")
@click.option("--allowlist", "allowlists", multiple=True, type=click.Path(dir_okay=False),
              help="Allowlist file (repeatable).")
@click.option("--vex", "vex", multiple=True, type=click.Path(dir_okay=False),
              help="OpenVEX or CycloneDX VEX document (repeatable).")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help="Baseline file (default: the repository's last promotion, for policies with new_only).")
@click.option("--baseline-from", "baseline_from", metavar="REPOSITORY",
              help="Use the baseline `seawall promote` published in this registry repository (e.g. the "
                   "production one); undecided when it has none, unless --allow-no-baseline.")
@click.option("--allow-no-baseline", is_flag=True,
              help="With --baseline-from: a repository without a baseline means every finding is new.")
@format_option(VERDICT_FORMATS)
@click.option("--output", "-o", metavar="FILE", help="Write the verdict to FILE instead of standard output.")
@click.option("--base-image", metavar="IMAGE", help="The base image, to tell its findings from the application's.")
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--skip-db-update", is_flag=True, help="Never download a DB; undecided when there is none.")
@db_repository_option
@click.pass_context
def gate(ctx: click.Context, target: str, platform: str | None, insecure: tuple[str, ...], policy: str,
         allowlists: tuple[str, ...], vex: tuple[str, ...], baseline: str | None, baseline_from: str | None,
         allow_no_baseline: bool, fmt: str, output: str | None, base_image: str | None, db_file: str | None,
         skip_db_update: bool) -> int:
    """Judge TARGET by a policy: exit 0 pass, 1 violated, 8 could not decide."""
    if baseline and baseline_from:
        raise click.UsageError("--baseline and --baseline-from name two baselines; give one")
    if allow_no_baseline and not baseline_from:
        raise click.UsageError("--allow-no-baseline only applies with --baseline-from")
    from seawall.policy.gate import GateInputs, run_gate
    from seawall.policy.render import render_verdict

    inputs = GateInputs(policy=policy, allowlists=allowlists, vex=vex, baseline=baseline, baseline_from=baseline_from,
                        allow_no_baseline=allow_no_baseline, db=db_file,
                        auto_update=not skip_db_update, base_image=base_image, platform=platform,
                        insecure_registries=insecure, cache_dir=cache_dir(ctx))
    judged = run_gate(target, inputs)
    write_output(render_verdict(judged.verdict, fmt), output)
    return int(judged.verdict.exit_code)
