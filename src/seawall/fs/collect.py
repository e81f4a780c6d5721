"""Read each layer once: index every entry and collect the files catalogers (and callers) asked for.

The unit of work is one layer plus what is wanted from it (`LayerJob`), so a caller that already knows a layer
skips it by not asking. Layers are read by a pool of threads, largest first, each from its `LayerFile` range. Most
of the work of reading a layer runs without the GIL — inflating (isal) in one thread, the blob digest and the
diff_id (hashlib) in another — and only tar headers and catalogers' picks hold it, so two layers read at once keep
both cores busy. Measured against the process pool this replaced, on the bench's images, threads cost 13% (an
eight-layer 200 MB image) to 40% (a 60 MB base plus a small layer) less CPU — no interpreter start-up and
re-import in each worker, no copy-on-write of the parent's heap, no pickling of every entry back — and were as
fast or faster by the clock. Memory stays bounded:
files up to `SMALL_FILE` bytes are held as bytes, larger ones are spooled to a private directory that `close()`
removes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from seawall import paths
from seawall.blobs.layerfile import LayerFile
from seawall.errors import IntegrityError
from seawall.fs.globs import literal_ends
from seawall.fs.layered import FileView, IndexEntry
from seawall.fs.request import FileEntry, FileRequester
from seawall.fs.tarlayer import (
    BLOCK,
    CHAR,
    DIR,
    FIFO,
    FILE,
    HARDLINK,
    OPAQUE_MARKER,
    OTHER,
    SYMLINK,
    WHITEOUT_PREFIX,
    LayerLimits,
    TarLayerReader,
)
from seawall.image.source import ImageSource

SMALL_FILE = 1024 * 1024
IN_PROCESS_BYTES = 8 * 1024 * 1024  # below this in total, layers are read one after another in the calling thread
EXTRAS = "*extra*"  # the key under which files asked for by path are collected
_NO_ONE: list[str] = []  # who() wants nothing of most files: one shared empty list, never appended to


@dataclass(frozen=True)
class LayerJob:
    """One layer and what to collect from it."""

    index: int
    layer_file: LayerFile | None  # None: stream it from the source in this process
    diff_id: str | None = None  # checked against the uncompressed stream when given
    catalogers: tuple[FileRequester, ...] = ()
    extra_paths: frozenset[str] = frozenset()
    what: str = ""


@dataclass
class LayerScan:
    """What one pass over one layer produced."""

    index: int
    diff_id: str | None
    entries: list[IndexEntry] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaque_dirs: list[str] = field(default_factory=list)
    files: dict[str, list[FileEntry]] = field(default_factory=dict)  # cataloger name → its files
    too_large: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # cataloger name → (path, size)
    uncompressed_size: int = 0

    @property
    def extras(self) -> dict[str, FileEntry]:
        return {f.path: f for f in self.files.get(EXTRAS, ())}

    def as_layer(self) -> tuple[int, list[IndexEntry], list[str], list[str]]:
        return self.index, self.entries, self.whiteouts, self.opaque_dirs


def _open_file(path: str) -> BinaryIO:
    return open(path, "rb")


def _open_nofollow(path: str) -> BinaryIO:
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


class _Wants:
    def __init__(self, job: LayerJob) -> None:
        self.catalogers = job.catalogers
        self.extra = job.extra_paths
        # Requesters that want only paths their globs match are asked only when one combined regex matches:
        # most entries of a layer are wanted by no one, and one match is cheaper than a call per requester.
        gated = [c for c in job.catalogers if getattr(c, "wants_only_globbed", False)]
        self.ungated = tuple(c for c in job.catalogers if not getattr(c, "wants_only_globbed", False))
        self.gate = re.compile("|".join(f"(?:{c._matcher.pattern})" for c in gated)) if gated else None  # type: ignore[attr-defined]
        self.tails, self.heads = literal_ends(g for c in gated for g in getattr(c, "globs", ()))

    def who(self, path: str, mode: int, size: int) -> tuple[list[str], list[str]]:
        """(names that want the content, names that want it but it is too large); most files get two empty,
        shared lists (never to be changed by the caller)."""
        wanted = too_large = _NO_ONE
        gate = self.gate
        if gate is None or ((path.endswith(self.tails) or path.startswith(self.heads)) and gate.match(path)):
            asked = self.catalogers
        else:
            asked = self.ungated
        for cataloger in asked:
            # Asked with the size clamped to the bound, so a file a cataloger refuses only for its size is
            # reported as too large instead of passing unmentioned.
            bound = cataloger.max_file_size
            if cataloger.wants(path, mode, size if size < bound else bound):
                if size <= bound:
                    wanted = [*wanted, cataloger.name]
                else:
                    too_large = [*too_large, cataloger.name]
        if path in self.extra:
            wanted = [*wanted, EXTRAS]
        return wanted, too_large


def _classify(scan: LayerScan, path: str) -> bool:
    """Record whiteout markers; True when `path` is one (and so not an entry)."""
    parent, _, name = path.rpartition("/")
    if not name.startswith(WHITEOUT_PREFIX):
        return False
    if name == OPAQUE_MARKER:
        scan.opaque_dirs.append(parent or "/")
    elif not name.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):  # other `.wh..wh.*` are aufs bookkeeping
        scan.whiteouts.append(f"{parent}/{name[len(WHITEOUT_PREFIX):]}")
    return True


def scan_layer(job: LayerJob, spool_dir: str, limits: LayerLimits, stream: BinaryIO | None = None) -> LayerScan:
    """One pass over one layer (in whatever process runs it)."""
    wants = _Wants(job)
    scan = LayerScan(job.index, job.diff_id)
    captured: dict[str, tuple[bytes | None, str | None]] = {}  # path → (data, spool file) within this layer
    pending_links: list[tuple[str, str, int, list[str]]] = []  # (path, target, mode, wanted-by)
    sizes: dict[str, int] = {}  # regular files of this layer, for the hard links that name them
    contributed: set[str] = set()  # paths whose content or size was taken from this layer
    last_write: dict[str, int] = {}  # of those written again later in the layer: the number of the last entry
    taken_at: dict[int, int] = {}  # id of each FileEntry / too-large item / pending link → its entry's number
    what = job.what or f"layer {job.index}"
    reader = _reader(job, limits, what, stream)
    entries = scan.entries
    with reader:
        for entry in reader:
            path = entry.path
            if WHITEOUT_PREFIX in path and _classify(scan, path):
                continue
            number = len(entries)
            if path in contributed:  # written again in this layer: the last entry wins, as on extraction
                last_write[path] = number
            entries.append(entry[:5])  # path, type, size, mode, linkname: an IndexEntry
            if entry.type == FILE:
                contributed.add(path)
                sizes[path] = entry.size
                wanted, too_large = wants.who(path, entry.mode, entry.size)
                for name in too_large:
                    scan.too_large.setdefault(name, []).append(item := (path, entry.size))
                    taken_at[id(item)] = number
                if wanted:
                    captured[path] = _capture(reader, entry.size, spool_dir)
                    emitted = _emit(scan, wanted, path, entry.size, entry.mode, job.index, captured[path])
                    taken_at[id(emitted)] = number
            elif entry.type == HARDLINK:
                contributed.add(entry.path)
                size = sizes.get(entry.linkname, 0)
                wanted, too_large = wants.who(entry.path, entry.mode, size)
                for name in too_large:
                    scan.too_large.setdefault(name, []).append(item := (entry.path, size))
                    taken_at[id(item)] = number
                if wanted:
                    pending_links.append(link := (entry.path, entry.linkname, entry.mode, wanted))
                    taken_at[id(link)] = number
        scan.uncompressed_size = reader.uncompressed
    if last_write:
        def current(path: str, thing: object) -> bool:
            return path not in last_write or taken_at.get(id(thing)) == last_write[path]

        scan.files = {name: [e for e in files if current(e.path, e)] for name, files in scan.files.items()}
        scan.too_large = {name: [i for i in items if current(i[0], i)] for name, items in scan.too_large.items()}
        pending_links = [link for link in pending_links if current(link[0], link)]
    if pending_links:
        _resolve_links(job, limits, scan, captured, pending_links, spool_dir, what)
    return scan


def _reader(job: LayerJob, limits: LayerLimits, what: str, stream: BinaryIO | None) -> TarLayerReader:
    if stream is not None:  # the source verifies the blob digest itself
        return TarLayerReader(stream, digest=None, diff_id=job.diff_id, limits=limits, what=what)
    if job.layer_file is None:
        raise ValueError("a LayerJob without a layer_file needs a stream")
    return TarLayerReader.open(job.layer_file, diff_id=job.diff_id, limits=limits, what=what)


def _capture(reader: TarLayerReader, size: int, spool_dir: str) -> tuple[bytes | None, str | None]:
    if size <= SMALL_FILE:
        return reader.read(), None
    target = os.path.join(spool_dir, uuid.uuid4().hex)
    with open(target, "xb") as out:
        reader.copy_to(out)
    return None, target


def _emit(scan: LayerScan, wanted: list[str], path: str, size: int, mode: int, index: int,
          content: tuple[bytes | None, str | None]) -> FileEntry:
    data, spooled = content
    opener = functools.partial(_open_file, spooled) if spooled else None
    entry = FileEntry(path=path, size=size, mode=mode, layer_index=index, data=data, opener=opener)
    for name in wanted:
        scan.files.setdefault(name, []).append(entry)
    return entry


def _resolve_links(job: LayerJob, limits: LayerLimits, scan: LayerScan,
                   captured: dict[str, tuple[bytes | None, str | None]],
                   links: list[tuple[str, str, int, list[str]]], spool_dir: str, what: str) -> None:
    """Hard links share their target's content, stored once earlier in the layer: read targets not yet held."""
    missing = {target for _, target, _, _ in links if target not in captured}
    if missing and job.layer_file is not None:
        with TarLayerReader.open(job.layer_file, limits=limits, what=what) as reader:
            for entry in reader:
                if entry.type == FILE and entry.path in missing:
                    captured[entry.path] = _capture(reader, entry.size, spool_dir)
    for path, target, mode, wanted in links:
        if target in captured:
            data, spooled = captured[target]
            size = len(data) if data is not None else os.path.getsize(spooled or "")
            _emit(scan, wanted, path, size, mode, job.index, (data, spooled))


_SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


@contextlib.contextmanager
def _short_gil_slices() -> Iterator[None]:
    """While layers are read, the threads that inflate and hash take the GIL back after every chunk; with the
    default 5 ms slices each such hand-over can wait that long behind a thread parsing headers, which stalls the
    inflating that bounds the whole read. Nested and concurrent readers share one setting, restored by the last."""
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, _SWITCH_INTERVAL))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


class LayerCollector:
    """Runs `LayerJob`s (in parallel) and dir: rootfs scans; owns the spool directory of large files."""

    def __init__(self, *, limits: LayerLimits | None = None, workers: int | None = None,
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.limits = limits or LayerLimits()
        self.workers = workers or len(os.sched_getaffinity(0))
        base = paths.cache_dir(cache_dir) / "tmp"
        base.mkdir(parents=True, exist_ok=True)
        self.spool_dir = tempfile.mkdtemp(prefix="collect-", dir=base)

    def __enter__(self) -> LayerCollector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.spool_dir, ignore_errors=True)

    def run(self, jobs: Sequence[LayerJob], source: ImageSource | None = None,
            on_done: Callable[[LayerScan], None] | None = None) -> list[LayerScan]:
        """Scan every job's layer; results in the order of `jobs`. `on_done` is given each layer's scan as it
        finishes, in the calling thread, while the pool goes on reading the others."""
        with _short_gil_slices():
            return self._run(jobs, source, on_done)

    def _run(self, jobs: Sequence[LayerJob], source: ImageSource | None,
             on_done: Callable[[LayerScan], None] | None) -> list[LayerScan]:
        results: dict[int, LayerScan] = {}
        local = [j for j in jobs if j.layer_file is None]
        parallel = [j for j in jobs if j.layer_file is not None]
        total = sum(j.layer_file.size for j in parallel if j.layer_file)
        if len(parallel) <= 1 or self.workers <= 1 or total < IN_PROCESS_BYTES:
            local, parallel = local + parallel, []
        if parallel:
            from concurrent.futures import ThreadPoolExecutor, as_completed

            ordered = sorted(parallel, key=lambda j: -(j.layer_file.size if j.layer_file else 0))
            with ThreadPoolExecutor(min(self.workers, len(ordered)), thread_name_prefix="seawall-layer") as pool:
                futures = {pool.submit(scan_layer, job, self.spool_dir, self.limits): job for job in ordered}
                for future in as_completed(futures):
                    try:
                        results[futures[future].index] = future.result()
                    except BaseException:
                        for other in futures:
                            other.cancel()
                        raise
                    if on_done:
                        on_done(results[futures[future].index])
        for job in local:
            results[job.index] = self._run_local(job, source)
            if on_done:
                on_done(results[job.index])
        return [results[job.index] for job in jobs]

    def _run_local(self, job: LayerJob, source: ImageSource | None) -> LayerScan:
        if job.layer_file is not None:
            return scan_layer(job, self.spool_dir, self.limits)
        if source is None:
            raise ValueError("a LayerJob without a layer_file needs its source")
        layer = next(la for la in source.resolve().layers if la.index == job.index)
        with source.open_layer(layer) as stream:
            return scan_layer(job, self.spool_dir, self.limits, stream=stream)

    def scan_rootfs(self, root: Path, catalogers: Sequence[FileRequester] = (),
                    extra_paths: Iterable[str] = ()) -> LayerScan:
        """The same collection over a root filesystem directory, as one pseudo-layer with index 0."""
        return scan_rootfs(root, LayerJob(0, None, None, tuple(catalogers), frozenset(extra_paths)), self.limits)


_STAT_TYPES = ((stat.S_ISDIR, DIR), (stat.S_ISREG, FILE), (stat.S_ISLNK, SYMLINK), (stat.S_ISCHR, CHAR),
               (stat.S_ISBLK, BLOCK), (stat.S_ISFIFO, FIFO))


def scan_rootfs(root: Path, job: LayerJob, limits: LayerLimits) -> LayerScan:
    """Walk a directory with os.scandir, never following symlinks; content is opened with O_NOFOLLOW."""
    wants = _Wants(job)
    scan = LayerScan(0, None)
    stack = [(str(root), "")]
    root_dev = os.lstat(root).st_dev
    while stack:
        real_dir, image_dir = stack.pop()
        try:
            with os.scandir(real_dir) as it:
                listing = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: its contents are simply not part of the view
        for item in listing:
            path = f"{image_dir}/{item.name}"
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            kind = next((name for test, name in _STAT_TYPES if test(st.st_mode)), OTHER)
            mode = stat.S_IMODE(st.st_mode)
            link = os.readlink(item.path) if kind == SYMLINK else ""
            size = st.st_size if kind == FILE else 0
            scan.entries.append((path, kind, size, mode, link))
            if len(scan.entries) > limits.max_entries:
                raise IntegrityError(f"{root}: more than {limits.max_entries} files")
            if kind == DIR and st.st_dev == root_dev:  # stay on one filesystem, like a layer would
                stack.append((item.path, path))
            elif kind == FILE:
                wanted, too_large = wants.who(path, mode, size)
                for name in too_large:
                    scan.too_large.setdefault(name, []).append((path, size))
                if wanted:
                    data = None
                    if size <= SMALL_FILE:
                        with _open_nofollow(item.path) as handle:
                            data = handle.read(SMALL_FILE + 1)
                    entry = FileEntry(path=path, size=size, mode=mode, layer_index=0, data=data,
                                      opener=None if data is not None else
                                      functools.partial(_open_nofollow, item.path))
                    for name in wanted:
                        scan.files.setdefault(name, []).append(entry)
    return scan


def build_view(scans: Iterable[LayerScan]) -> FileView:
    return FileView.from_layers(scan.as_layer() for scan in scans)


def read_paths(view: FileView, scans: Sequence[LayerScan], wanted: Iterable[str],
               rescan: Callable[[int, frozenset[str]], LayerScan]) -> dict[str, FileEntry]:
    """Content of `wanted` paths as the final view shows them (following symlinks), keyed by the asked path.

    Files already collected as extras are reused; others are read by `rescan(layer_index, paths)`, one pass per
    layer that holds any of them.
    """
    by_index = {scan.index: scan for scan in scans}
    out: dict[str, FileEntry] = {}
    todo: dict[int, dict[str, list[str]]] = {}
    for path in wanted:
        resolved = view.resolve(path)
        node = view.get(resolved) if resolved else None
        if resolved is None or node is None or node.type != FILE:
            continue
        index = node.layer
        held = by_index[index].extras.get(resolved) if index in by_index else None
        if held is not None:
            out[path] = held
        else:
            todo.setdefault(index, {}).setdefault(resolved, []).append(path)
    for index, targets in todo.items():
        extras = rescan(index, frozenset(targets)).extras
        for resolved, asked in targets.items():
            if resolved in extras:
                for path in asked:
                    out[path] = extras[resolved]
    return {path: out[path] for path in wanted if path in out}

