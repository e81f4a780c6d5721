"""`seawall fleet workflow --github`: a scheduled GitHub Actions workflow that plans the run (`fleet plan` sizes the
shards so no job outlives its time limit), scans the catalog in parallel shards split by digest, merges the shards
into the durable history and publishes the report on GitHub Pages.

History lasts between weeks without a cache that expires: a PostgreSQL URL in the `FLEET_STORE_URL` secret, or
else the SQLite store pulled from and pushed to the team's registry as an OCI artifact (`fleet pull/push`). Every
shard re-uses results by digest from that history."""

from __future__ import annotations

from typing import Any

import yaml

from seawall.errors import InputError

DEFAULT_STORE_REF = "ghcr.io/${{ github.repository_owner }}/seawall-fleet-store:latest"
HUB_URL = "https://hub.docker.com"


def _history_step() -> dict[str, Any]:
    return {"name": "History", "run": "\n".join([
        'if [ -n "$FLEET_STORE_URL" ]; then',
        '  echo "STORE=$FLEET_STORE_URL" >> "$GITHUB_ENV"',
        "else",
        '  seawall fleet pull "$STORE_REF" --store fleet.db --missing-ok',
        '  echo "STORE=sqlite:///fleet.db" >> "$GITHUB_ENV"',
        "fi"])}


def _setup(python: str, package: str, *, catalog: bool) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    if catalog:
        steps.append({"uses": "actions/checkout@v4", "with": {"repository": "docker-library/official-images",
                                                              "path": "official-images"}})
    steps += [
        {"uses": "actions/setup-python@v5", "with": {"python-version": python}},
        {"run": f"pip install '{package}'"},
        {"name": "Log in to the registry that keeps the history",
         "run": 'echo "$GITHUB_TOKEN" | docker login ghcr.io -u "${{ github.actor }}" --password-stdin',
         "env": {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}},
        _history_step(),
    ]
    return steps


def github_workflow(*, cron: str = "17 3 * * 1", strategy: str = "latest", job_minutes: int = 300,
                    store_ref: str = DEFAULT_STORE_REF, workers: int = 2, python: str = "3.11",
                    package: str = "seawall[fleet]") -> str:
    """The workflow YAML. Every shard runs with the same run id (the workflow run's), so the merge yields one run."""
    if not 10 <= job_minutes <= 360:
        raise InputError(f"--job-minutes {job_minutes} is out of range", remedy="10 to 360 (GitHub's job limit)")
    catalog = f"--catalog official --library-dir official-images/library --strategy {strategy} --hub-url \"$HUB_URL\""
    dockerhub = {"DOCKERHUB_USERNAME": "${{ secrets.DOCKERHUB_USERNAME }}",
                 "DOCKERHUB_TOKEN": "${{ secrets.DOCKERHUB_TOKEN }}"}
    plan_job: dict[str, Any] = {
        "runs-on": "ubuntu-latest",
        "permissions": {"contents": "read", "packages": "read"},
        "outputs": {"matrix": "${{ steps.plan.outputs.matrix }}"},
        "steps": [*_setup(python, package, catalog=True), {
            "id": "plan", "name": "Plan: digests, pulls and shards (HEAD requests only)", "env": dockerhub,
            "run": "\n".join([
                'auth=""',
                'if [ -n "$DOCKERHUB_TOKEN" ]; then auth="--authenticated"; fi',
                f'seawall fleet plan {catalog} --store "$STORE" --workers {workers} --job-minutes {job_minutes} '
                '$auth',
                f'seawall fleet plan {catalog} --store "$STORE" --workers {workers} --job-minutes {job_minutes} '
                '$auth --format github >> "$GITHUB_OUTPUT"']),
        }],
    }
    scan_job: dict[str, Any] = {
        "runs-on": "ubuntu-latest",
        "needs": "plan",
        "timeout-minutes": 360,
        "permissions": {"contents": "read", "packages": "read"},
        "strategy": {"fail-fast": False, "matrix": {"shard": "${{ fromJSON(needs.plan.outputs.matrix) }}"}},
        "steps": [*_setup(python, package, catalog=True), {"name": "Vulnerability DB", "run": "seawall db update"}, {
            "name": "Scan shard ${{ matrix.shard }}",
            "env": dockerhub,
            "run": "\n".join([
                # Authenticated pulls get the higher Docker Hub limit; without the secrets the scan runs anonymously.
                'if [ -n "$DOCKERHUB_TOKEN" ]; then',
                '  echo "$DOCKERHUB_TOKEN" | docker login -u "$DOCKERHUB_USERNAME" --password-stdin',
                "fi",
                # Exit 9: some images failed; they are stored as errors and the report says so.
                f"seawall fleet run {catalog} --shard ${{{{ matrix.shard }}}}/${{{{ strategy.job-total }}}} "
                f"--run-id ${{{{ github.run_id }}}} --workers {workers} "
                '--store "sqlite:///shard-${{ matrix.shard }}.db" --reuse-from "$STORE" || [ $? -eq 9 ]',
            ]),
        }, {
            "uses": "actions/upload-artifact@v4",
            "if": "always()",
            "with": {"name": "fleet-shard-${{ matrix.shard }}", "path": "shard-${{ matrix.shard }}.db",
                     "retention-days": 7},
        }],
    }
    merge_job: dict[str, Any] = {
        "runs-on": "ubuntu-latest",
        "needs": ["plan", "scan"],
        "if": "always() && needs.plan.result == 'success'",
        "permissions": {"contents": "read", "packages": "write", "pages": "write", "id-token": "write"},
        "environment": {"name": "github-pages", "url": "${{ steps.deploy.outputs.page_url }}"},
        "steps": [
            *_setup(python, package, catalog=False),
            {"uses": "actions/download-artifact@v4", "with": {"path": "shards", "pattern": "fleet-shard-*"}},
            {"name": "Merge the shards into the history",
             "run": 'seawall fleet merge shards/*/shard-*.db --into "$STORE" --run-id ${{ github.run_id }}'},
            {"name": "Keep the history", "if": "env.FLEET_STORE_URL == ''",
             "run": 'seawall fleet push "$STORE_REF" --store fleet.db'},
            {"name": "Report", "run": "\n".join([
                "mkdir -p site",
                'seawall fleet report --store "$STORE" --format html --output site/index.html',
                'seawall fleet report --store "$STORE" --format json --output site/report.json',
                'seawall fleet report --store "$STORE" --format csv --output site/report.csv',
            ])},
            {"uses": "actions/configure-pages@v5"},
            {"uses": "actions/upload-pages-artifact@v3", "with": {"path": "site"}},
            {"id": "deploy", "uses": "actions/deploy-pages@v4"},
        ],
    }
    workflow = {
        "name": "Official images security report",
        "on": {"schedule": [{"cron": cron}], "workflow_dispatch": {}},
        "permissions": {"contents": "read"},
        "concurrency": {"group": "fleet", "cancel-in-progress": False},
        "env": {"FLEET_STORE_URL": "${{ secrets.FLEET_STORE_URL }}", "STORE_REF": store_ref, "HUB_URL": HUB_URL},
        "jobs": {"plan": plan_job, "scan": scan_job, "merge": merge_job},
    }
    return yaml.dump(workflow, Dumper=_PlainDumper, sort_keys=False, width=200)


class _PlainDumper(yaml.SafeDumper):
    """No anchors and aliases: GitHub's workflow parser refuses them where it wants a mapping."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
