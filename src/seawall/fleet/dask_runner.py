"""Where fleet scans execute: a Dask cluster (an embedded `LocalCluster` of worker processes, or an existing
scheduler), or in this process when `workers=0` (debugging; same results)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any, Protocol

from seawall.errors import InputError, NetworkError


class Pool(Protocol):
    """Submit jobs; collect (job, result or exception) as they finish."""

    def submit(self, fn: Callable[[Any], Any], job: Any) -> None: ...

    def finished(self, *, block: bool) -> Iterator[tuple[Any, Any, BaseException | None]]: ...

    @property
    def pending(self) -> int: ...


class InlinePool:
    def __init__(self) -> None:
        self._done: list[tuple[Any, Any, BaseException | None]] = []

    def submit(self, fn: Callable[[Any], Any], job: Any) -> None:
        try:
            self._done.append((job, fn(job), None))
        except Exception as err:  # reported as that job's error, like a crashed worker
            self._done.append((job, None, err))

    def finished(self, *, block: bool) -> Iterator[tuple[Any, Any, BaseException | None]]:
        while self._done:
            yield self._done.pop(0)

    @property
    def pending(self) -> int:
        return len(self._done)


class DaskPool:
    def __init__(self, client: Any) -> None:
        from dask.distributed import as_completed

        self.client = client
        self.completed = as_completed(with_results=False)
        self.jobs: dict[str, Any] = {}

    def submit(self, fn: Callable[[Any], Any], job: Any) -> None:
        future = self.client.submit(fn, job, pure=False)
        self.jobs[future.key] = job
        self.completed.add(future)

    def finished(self, *, block: bool) -> Iterator[tuple[Any, Any, BaseException | None]]:
        while not self.completed.is_empty():
            if not block and not self.completed.has_ready():
                return
            for future in self.completed.next_batch(block=True):
                job = self.jobs.pop(future.key)
                try:
                    yield job, future.result(), None
                except Exception as err:  # a worker died under this job (KilledWorker) or the function failed
                    yield job, None, err
                finally:
                    future.release()

    @property
    def pending(self) -> int:
        return self.completed.count()


@contextmanager
def pool_starting(scheduler: str | None = None, workers: int = 2) -> Iterator[Callable[[], Pool]]:
    """`open_pool` started in a thread — a cluster takes seconds to start, the caller meanwhile learns digests —
    and a callable that waits for it."""
    stack = ExitStack()
    with ThreadPoolExecutor(1, thread_name_prefix="seawall-pool") as starter:
        future = starter.submit(stack.enter_context, open_pool(scheduler, workers))
        try:
            yield future.result
        finally:
            try:
                future.result()
            except BaseException:  # the caller has heard of it already, or is ending for another reason
                pass
            stack.close()


@contextmanager
def open_pool(scheduler: str | None = None, workers: int = 2) -> Iterator[Pool]:
    """A pool on `scheduler` (tcp://HOST:8786), else a LocalCluster of `workers` processes, else inline."""
    if scheduler is None and workers <= 0:
        yield InlinePool()
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ModuleNotFoundError:
        raise InputError("fleet runs need dask.distributed", remedy="pip install 'seawall[fleet]'") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as err:
            raise NetworkError(f"cannot reach the Dask scheduler {scheduler}: {err}",
                               remedy="checking the address, or leave out --scheduler for a local cluster") from None
        try:
            yield DaskPool(client)
        finally:
            client.close()
        return
    # Worker processes, one thread each: scans are CPU-bound (decompression, parsing) and hold the GIL.
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR, preload=["seawall.fleet.worker_setup"])
    client = Client(cluster)
    try:
        yield DaskPool(client)
    finally:
        client.close()
        cluster.close()
