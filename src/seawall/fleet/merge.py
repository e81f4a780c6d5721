"""`seawall fleet merge`: the shards of one run (one store each, from parallel CI jobs) into one run of one store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seawall.errors import InputError
from seawall.fleet.runner import new_run_id
from seawall.fleet.store import ResultsStore, RunInfo


def merge_stores(sources: Sequence[str], into: str, run_id: str | None = None) -> tuple[str, int]:
    """Copy the latest run of every source store (results, inventories, current findings) into one run of `into`;
    returns (run id, images). Merging the same shard again replaces its images instead of doubling them."""
    if not sources:
        raise InputError("nothing to merge", remedy="naming the shard stores: seawall fleet merge A.db B.db --into URL")
    shard_runs: list[tuple[ResultsStore, RunInfo]] = []
    try:
        for url in sources:
            _require_existing(url)
            store = ResultsStore.open(url)
            run = store.latest_run()
            if run is None:
                store.close()
                raise InputError(f"store {url} holds no run", remedy="checking that the shard's run completed")
            shard_runs.append((store, run))
        ids = {run.id for _, run in shard_runs}
        merged_id = run_id or (ids.pop() if len(ids) == 1 else new_run_id())
        runs = [run for _, run in shard_runs]
        snapshot = [item for run in runs for item in run.snapshot or []]
        merged = RunInfo(
            id=merged_id, catalog=runs[0].catalog, strategy=runs[0].strategy, platform=runs[0].platform,
            started_at=min(run.started_at for run in runs),
            finished_at=max((run.finished_at or "" for run in runs), default="") or None,
            status="finished" if all(run.status == "finished" for run in runs) else "running",
            snapshot=snapshot, selected=len(snapshot),
            db_built_at=min((run.db_built_at for run in runs if run.db_built_at), default=None),
            note=f"merged from {len(runs)} shard(s)")
        count = 0
        with ResultsStore.open(into) as target:
            existing = target.get_run(merged_id)
            if existing is None:
                target.create_run(merged)
            for store, run in shard_runs:
                findings = store.findings(run.id)
                for result in store.iter_results(run.id):
                    result.findings = findings.get((result.key, result.match_no), [])
                    result.run_id = merged_id
                    target.put_result(result)
                    count += 1
            if merged.status == "finished" and merged.finished_at:
                target.finish_run(merged_id, merged.finished_at)
        return merged_id, count
    finally:
        for store, _ in shard_runs:
            store.close()


def _require_existing(url: str) -> None:
    """A shard that is not there is a missing shard, never an empty store created in its place."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.is_file():
            raise InputError(f"shard store {path} does not exist", remedy="checking the path of every shard's store")
