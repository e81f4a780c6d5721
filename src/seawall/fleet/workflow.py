"""`seawall fleet workflow --github`: a scheduled GitHub Actions workflow that scans the catalog in N parallel shards,
merges the shards into one run and publishes the report."""

from __future__ import annotations

from typing import Any

import yaml

from seawall.errors import InputError


def github_workflow(shards: int = 4, *, cron: str = "17 3 * * 1", strategy: str = "latest",
                    python: str = "3.11", package: str = "seawall[fleet]") -> str:
    """The workflow YAML. Every shard runs with the same run id (the workflow run's), so the merge yields one run."""
    if not 1 <= shards <= 256:
        raise InputError(f"--shards {shards} is out of range", remedy="between 1 and 256 (GitHub's matrix limit)")
    setup = [
        {"uses": "actions/checkout@v4", "with": {"repository": "docker-library/official-images",
                                                 "path": "official-images"}},
        {"uses": "actions/setup-python@v5", "with": {"python-version": python}},
        {"run": f"pip install '{package}'"},
        {"name": "Vulnerability DB", "run": "seawall db update"},
    ]
    scan_job: dict[str, Any] = {
        "runs-on": "ubuntu-latest",
        "strategy": {"fail-fast": False, "matrix": {"shard": list(range(1, shards + 1))}},
        "steps": [*setup, {
            "name": "Scan shard ${{ matrix.shard }}/" + str(shards),
            "env": {"DOCKERHUB_USERNAME": "${{ secrets.DOCKERHUB_USERNAME }}",
                    "DOCKERHUB_TOKEN": "${{ secrets.DOCKERHUB_TOKEN }}"},
            "run": "\n".join([
                # Authenticated pulls get the higher Docker Hub limit; without the secrets the scan runs anonymously.
                'if [ -n "$DOCKERHUB_TOKEN" ]; then',
                '  echo "$DOCKERHUB_TOKEN" | docker login -u "$DOCKERHUB_USERNAME" --password-stdin',
                "fi",
                f"seawall fleet run --catalog official --library-dir official-images/library --strategy {strategy} "
                f"--shard ${{{{ matrix.shard }}}}/{shards} --run-id ${{{{ github.run_id }}}} "
                "--store sqlite:///shard-${{ matrix.shard }}.db --workers 2",
            ]),
        }, {
            "uses": "actions/upload-artifact@v4",
            "if": "always()",
            "with": {"name": "fleet-shard-${{ matrix.shard }}", "path": "shard-${{ matrix.shard }}.db",
                     "retention-days": 7},
        }],
    }
    stores = " ".join(f"sqlite:///shards/fleet-shard-{i}/shard-{i}.db" for i in range(1, shards + 1))
    merge_job: dict[str, Any] = {
        "runs-on": "ubuntu-latest",
        "needs": "scan",
        "if": "always()",
        "permissions": {"contents": "read", "pages": "write", "id-token": "write"},
        "steps": [
            {"uses": "actions/setup-python@v5", "with": {"python-version": python}},
            {"run": f"pip install '{package}'"},
            {"uses": "actions/download-artifact@v4", "with": {"path": "shards", "pattern": "fleet-shard-*"}},
            {"name": "Previous runs", "uses": "actions/cache@v4",
             "with": {"path": "fleet.db", "key": "fleet-store-${{ github.run_id }}",
                      "restore-keys": "fleet-store-"}},
            {"name": "Merge shards", "run": f"seawall fleet merge {stores} --into sqlite:///fleet.db "
                                            "--run-id ${{ github.run_id }}"},
            {"name": "Report", "run": "\n".join([
                "mkdir -p site",
                "seawall fleet report --store sqlite:///fleet.db --format html --output site/index.html",
                "seawall fleet report --store sqlite:///fleet.db --format json --output site/report.json",
                "seawall fleet report --store sqlite:///fleet.db --format csv --output site/report.csv",
            ])},
            {"uses": "actions/upload-pages-artifact@v3", "with": {"path": "site"}},
            {"uses": "actions/deploy-pages@v4"},
        ],
    }
    workflow = {
        "name": "Official images security report",
        "on": {"schedule": [{"cron": cron}], "workflow_dispatch": {}},
        "concurrency": {"group": "fleet", "cancel-in-progress": False},
        "jobs": {"scan": scan_job, "merge": merge_job},
    }
    return yaml.safe_dump(workflow, sort_keys=False, width=200)
