"""Image → SBOM. Each layer is read at most once, and not at all when every cataloger's result for its diff_id
is cached; the per-layer results are then squashed into the final inventory.

Layer analyzers (secret scanning, filesystem facts) ride the same pass: they choose files like catalogers do,
see every layer's files (also those a later layer deletes) and its entry index, and their JSON results are cached
per (layer diff_id, analyzer name, analyzer version) beside the catalogers'."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from seawall import paths
from seawall.catalog import CATALOGER_KEYS
from seawall.catalog.distro import DISTRO_PATHS
from seawall.image.source import ImageSource
from seawall.inventory.layercache import LayerCache, LayerSummary
from seawall.model.image import Image
from seawall.model.sbom import SBOM, Package, Unknown

if TYPE_CHECKING:
    from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
    from seawall.fs.collect import LayerCollector, LayerJob, LayerScan
    from seawall.fs.layered import IndexEntry
    from seawall.inventory.squash import LayerFacts

MAX_DISTRO_FILE = 64 * 1024


@dataclass
class InventoryStats:
    """What the build did, for progress displays and benchmarks."""

    layers: int = 0
    layers_read: int = 0
    bytes_read: int = 0
    cached_results: int = 0
    fresh_results: int = 0
    extra: dict[str, float] = field(default_factory=dict)


class LayerAnalyzer(Protocol):
    """Looks at each layer's chosen files and entry index; never reads anything itself.

    `analyze` returns a JSON object or array (it is cached as JSON); it must hold nothing that may not be written
    to the cache directory. Names share one namespace with catalogers.
    """

    name: str
    version: int
    max_file_size: int

    def wants(self, path: str, mode: int, size: int) -> bool: ...

    def analyze(self, files: Sequence[FileEntry], entries: Sequence[IndexEntry]) -> dict[str, Any] | list[Any]: ...


@dataclass(frozen=True)
class LayerAnalysis:
    """One analyzer's result for one layer (index 0 is the base; a dir: source is one layer)."""

    index: int
    diff_id: str | None
    created_by: str
    result: dict[str, Any] | list[Any]


@dataclass
class Inventory:
    """The SBOM and, beside it, what the layer analyzers found in each layer."""

    sbom: SBOM
    layers: list[LayerFacts]  # per layer: what it deletes from the layers below
    analyses: dict[str, list[LayerAnalysis]]  # analyzer name → one result per layer, base first
    uncompressed_size: int | None = None  # None for dir: sources
    entries: int | None = None  # entries over all layers
    owned_files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # OS package → its paths (dpkg lists)
    # With `build_inventory(derived=…)`: the scanners' results kept from an earlier run of this image (then
    # `layers`, `analyses` and `owned_files` stay empty), or else where to keep them for the next run.
    derived: dict[str, Any] | None = None
    keep_derived: Callable[[dict[str, Any]], None] | None = field(default=None, repr=False, compare=False)


def default_catalogers() -> list[Cataloger]:
    from seawall.catalog import CATALOGERS

    return [cls() for cls in CATALOGERS]


class _Named(Protocol):
    """What the cache lookups need of a cataloger: a `Cataloger` or a `CatalogerKey`."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...


class _Lazy:
    """The catalogers and the layer reader, loaded when a layer must be read: a warm re-scan whose every result is
    cached imports neither (they are most of its start-up)."""

    def __init__(self, catalogers: Sequence[Cataloger] | None, stack: ExitStack, workers: int | None,
                 cache_dir: str | os.PathLike[str] | None) -> None:
        self.keys: Sequence[_Named] = list(catalogers) if catalogers is not None else CATALOGER_KEYS
        self._given = catalogers
        self._stack, self._workers, self._cache_dir = stack, workers, cache_dir
        self._catalogers: dict[str, Cataloger] | None = None
        self._collector: LayerCollector | None = None

    def catalogers(self, keys: Iterable[_Named] | None = None) -> list[Cataloger]:
        if self._catalogers is None:
            loaded = list(self._given) if self._given is not None else default_catalogers()
            self._catalogers = {c.name: c for c in loaded}
        return [self._catalogers[k.name] for k in (self.keys if keys is None else keys)]

    def collector(self) -> LayerCollector:
        if self._collector is None:
            from seawall.fs.collect import LayerCollector

            self._collector = self._stack.enter_context(LayerCollector(workers=self._workers,
                                                                       cache_dir=self._cache_dir))
        return self._collector


def build_sbom(
    source: ImageSource,
    *,
    catalogers: Sequence[Cataloger] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    today: date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    stats: InventoryStats | None = None,
) -> SBOM:
    """The inventory of the image `source` resolves to."""
    return build_inventory(source, catalogers=catalogers, cache_dir=cache_dir, use_cache=use_cache, workers=workers,
                           today=today, progress=progress, stats=stats, sbom_only=True).sbom


def build_inventory(
    source: ImageSource,
    *,
    analyzers: Sequence[LayerAnalyzer] = (),
    catalogers: Sequence[Cataloger] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    today: date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    stats: InventoryStats | None = None,
    sbom_only: bool = False,
    derived: list[str] | None = None,
    restore: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Inventory:
    """The SBOM of the image `source` resolves to, and each analyzer's result for each of its layers.

    `sbom_only`: the caller reads only `.sbom` and the sizes; without analyzers and custom catalogers, the merged
    inventory of an image seen before then comes from one cache entry, and `.layers` and `.owned_files` stay empty.
    `derived`: the caller derives results from the analyses (the secret and configuration findings), named by these
    parts; an image seen before with the same parts gives the SBOM and those results (`.derived`, as `restore` reads
    them back) from the cache and no layer is merged; otherwise (also when `restore` refuses what was kept)
    `.keep_derived` stores what the caller derives.
    """
    stats = stats if stats is not None else InventoryStats()
    image = source.resolve()
    cache = LayerCache(paths.layer_cache_dir(cache_dir)) if use_cache else None
    rootfs = source.rootfs()
    key = derived_key = None
    if (derived is not None or (sbom_only and not analyzers)) and cache is not None and catalogers is None \
            and rootfs is None:
        from seawall.inventory import imagecache

        key = imagecache.image_key(image)
        derived_key = imagecache.results_key(key, image, derived) if key is not None and derived is not None \
            else None
        kept = imagecache.load_results(cache, derived_key) if derived_key is not None else None
        if kept is not None and restore is not None:
            kept = restore(kept)  # None for a damaged entry: the layers are merged and the entry written again
        hit = imagecache.load(cache, key, image, today) if key is not None and (derived is None or kept) else None
        if hit is not None:
            stats.layers = len(image.layers)
            return Inventory(sbom=hit[0], layers=[], analyses={}, uncompressed_size=hit[1], entries=hit[2],
                             derived=kept)
    with ExitStack() as stack:
        lazy = _Lazy(catalogers, stack, workers, cache_dir)
        if rootfs is not None:
            loaded = lazy.catalogers()
            scan = lazy.collector().scan_rootfs(rootfs, [*loaded, *analyzers], DISTRO_PATHS)  # type: ignore[list-item]
            facts, results, summary = _digest_scan(scan, loaded, image, None, ())
            layers_facts, layer_results, summaries = [facts], [results], [summary]
            analyses = {a.name: [LayerAnalysis(0, None, "", _run_analyzer(a, scan))] for a in analyzers}
            stats.layers, stats.layers_read = 1, 1
        else:
            layers_facts, layer_results, summaries, analyses = _read_layers(source, image, lazy, analyzers,
                                                                            cache, progress, stats)
    # The merge loads here, not with the module: a cached whole-image entry (above) needs none of it.
    from seawall.catalog.distro import detect_distro
    from seawall.catalog.purls import with_os_purl
    from seawall.catalog.vendors import mark_third_party
    from seawall.inventory.ownership import mark_owned
    from seawall.inventory.squash import squash

    squashed = squash(layers_facts, layer_results)
    distro = detect_distro(_visible_files(layers_facts, summaries), today=today)
    packages = [with_os_purl(p, distro) if p.purl is None else p for p in _prefer_rpm_database(squashed.packages)]
    # Every layer's repositories count, also those a later layer removed: packages installed from them stay.
    everything = [result for layer in layer_results for result in layer]
    packages = mark_third_party(mark_owned(packages, squashed.owned_files), distro,
                                [r for result in everything for r in result.repositories],
                                [o for result in everything for o in result.origins])
    packages.sort(key=lambda p: (p.type, p.name, p.version, p.locations[0].path if p.locations else ""))
    unknowns = sorted(squashed.unknowns, key=lambda u: (u.path, u.found_by))
    sbom = SBOM(image=image, distro=distro, packages=tuple(packages), unknowns=tuple(unknowns))
    inventory = Inventory(sbom=sbom, layers=layers_facts, analyses=analyses,
                          uncompressed_size=sum(s.uncompressed_size for s in summaries) if rootfs is None else None,
                          entries=sum(s.entries for s in summaries) or None, owned_files=dict(squashed.owned_files))
    if key is not None and cache is not None:
        from seawall.inventory import imagecache

        imagecache.store(cache, key, sbom, inventory.uncompressed_size, inventory.entries)
        if derived_key is not None:
            inventory.keep_derived = functools.partial(imagecache.store_results, cache, derived_key)
    return inventory


def _read_layers(
    source: ImageSource,
    image: Image,
    lazy: _Lazy,
    analyzers: Sequence[LayerAnalyzer],
    cache: LayerCache | None,
    progress: Callable[[str, int, int], None] | None,
    stats: InventoryStats,
) -> tuple[list[LayerFacts], list[list[CatalogResult]], list[LayerSummary], dict[str, list[LayerAnalysis]]]:
    args = (source, image, lazy, analyzers, cache, progress, stats)
    if cache is None:
        return _read_layers_now(*args)
    results, analyses = [(c.name, c.version) for c in lazy.keys], [(a.name, a.version) for a in analyzers]
    unread = [layer.diff_id for layer in image.layers if not cache.complete(layer.diff_id, results, analyses)]
    if not unread:
        return _read_layers_now(*args)
    with cache.claim(unread, wait=False) as busy:
        if not busy:
            return _read_layers_now(*args)
        # Another process reads some of them: read the others meanwhile, then wait for it.
        early = InventoryStats()
        free = set(unread) - busy
        mine = tuple(layer for layer in image.layers if layer.diff_id in free)
        if mine:
            _read_layers_now(source, dataclasses.replace(image, layers=mine), lazy, analyzers, cache, None, early)
    with cache.claim(busy):
        read = _read_layers_now(*args)  # a layer its reader gave up on is read here
    stats.layers_read += early.layers_read
    stats.bytes_read += early.bytes_read
    stats.fresh_results += early.fresh_results
    stats.cached_results -= early.fresh_results
    return read


def _read_layers_now(
    source: ImageSource,
    image: Image,
    lazy: _Lazy,
    analyzers: Sequence[LayerAnalyzer],
    cache: LayerCache | None,
    progress: Callable[[str, int, int], None] | None,
    stats: InventoryStats,
) -> tuple[list[LayerFacts], list[list[CatalogResult]], list[LayerSummary], dict[str, list[LayerAnalysis]]]:
    cached: dict[int, dict[str, tuple[frozenset[str], CatalogResult]]] = {}
    analyzed: dict[int, dict[str, dict[str, Any] | list[Any]]] = {}
    summaries: dict[int, LayerSummary] = {}
    jobs: list[LayerJob] = []
    stats.layers = len(image.layers)
    catalogers = lazy.keys
    for layer in image.layers:
        hits: dict[str, tuple[frozenset[str], CatalogResult]] = {}
        summary = cache.get_summary(layer.diff_id) if cache else None
        if cache is not None:
            for cataloger in catalogers:
                hit = cache.get_result(layer.diff_id, cataloger.name, cataloger.version)
                if hit is not None:
                    hits[cataloger.name] = hit
        cached[layer.index] = hits
        analyzed[layer.index] = _cached_analyses(cache, layer.diff_id, analyzers)
        stats.cached_results += len(hits) + len(analyzed[layer.index])
        missing = tuple(c for c in catalogers if c.name not in hits)
        unanalyzed = tuple(a for a in analyzers if a.name not in analyzed[layer.index])
        if summary is not None and not missing and not unanalyzed:
            summaries[layer.index] = summary
            continue
        from seawall.fs.collect import LayerJob

        jobs.append(LayerJob(index=layer.index, layer_file=source.layer_file(layer), diff_id=layer.diff_id,
                             catalogers=(*lazy.catalogers(missing), *unanalyzed),  # type: ignore[arg-type]
                             extra_paths=frozenset(DISTRO_PATHS),
                             what=f"layer {layer.index} ({layer.digest})"))
        stats.bytes_read += layer.size
    stats.layers_read = len(jobs)
    if progress:
        progress("layers", 0, len(jobs))
    digested: dict[int, tuple[LayerFacts, list[CatalogResult]]] = {}

    def digest(scan: LayerScan) -> None:
        # Called as each layer is read, while the pool still reads the others: cataloguing overlaps with inflating.
        fresh = lazy.catalogers(c for c in catalogers if c.name not in cached[scan.index])
        layer_facts, fresh_results, summaries[scan.index] = _digest_scan(scan, fresh, image, cache,
                                                                         cached[scan.index].items())
        diff_id = layer_facts.diff_id or ""
        for analyzer in analyzers:
            if analyzer.name not in analyzed[scan.index]:
                analyzed[scan.index][analyzer.name] = result = _run_analyzer(analyzer, scan)
                stats.fresh_results += 1
                if cache is not None and "error" not in result:
                    cache.put_analysis(diff_id, analyzer.name, analyzer.version, result)
        stats.fresh_results += len(fresh)
        by_name = {c.name: r for c, r in zip(fresh, fresh_results, strict=True)}
        by_name.update({name: hit[1] for name, hit in cached[scan.index].items()})
        digested[scan.index] = layer_facts, [by_name[c.name] for c in catalogers]
        if progress:
            progress("layers", len(digested), len(jobs))

    if jobs:
        lazy.collector().run(jobs, source, on_done=digest)

    from seawall.inventory.squash import LayerFacts

    facts: list[LayerFacts] = []
    results: list[list[CatalogResult]] = []
    for layer in image.layers:
        if layer.index in digested:
            layer_facts, layer_results = digested[layer.index]
            facts.append(layer_facts)
            results.append(layer_results)
            continue
        summary = summaries[layer.index]
        hits = cached[layer.index]
        written = frozenset().union(*(p for p, _ in hits.values()), summary.files)
        facts.append(LayerFacts(layer.index, layer.diff_id, layer.created_by, written,
                                summary.whiteouts, summary.opaque_dirs))
        results.append([hits[c.name][1] for c in catalogers])
    analyses = {a.name: [LayerAnalysis(la.index, la.diff_id, la.created_by, analyzed[la.index][a.name])
                         for la in image.layers] for a in analyzers}
    return facts, results, [summaries[layer.index] for layer in image.layers], analyses


def _cached_analyses(cache: LayerCache | None, diff_id: str,
                     analyzers: Sequence[LayerAnalyzer]) -> dict[str, dict[str, Any] | list[Any]]:
    if cache is None:
        return {}
    hits = {a.name: cache.get_analysis(diff_id, a.name, a.version) for a in analyzers}
    return {name: hit for name, hit in hits.items() if hit is not None}


def _run_analyzer(analyzer: LayerAnalyzer, scan: LayerScan) -> dict[str, Any] | list[Any]:
    try:
        return analyzer.analyze(scan.files.get(analyzer.name, []), scan.entries)
    except Exception as err:  # an analyzer bug must not lose the inventory; the error result is never cached
        return {"error": f"{analyzer.name} failed on layer {scan.index}: {type(err).__name__}: {err}"}


def _digest_scan(
    scan: LayerScan,
    catalogers: Sequence[Cataloger],
    image: Image,
    cache: LayerCache | None,
    hits: Iterable[tuple[str, tuple[frozenset[str], CatalogResult]]],
) -> tuple[LayerFacts, list[CatalogResult], LayerSummary]:
    """Run catalogers over one scanned layer, cache what they found, and describe the layer for squashing."""
    from seawall.inventory.squash import LayerFacts

    layer = next((la for la in image.layers if la.index == scan.index), None)
    diff_id = layer.diff_id if layer else None
    results: list[CatalogResult] = []
    written: set[str] = set()
    for cataloger in catalogers:
        files: list[FileEntry] = scan.files.get(cataloger.name, [])
        result = _run_cataloger(cataloger, files, scan, diff_id)
        paths_seen = frozenset(f.path for f in files) | frozenset(p for p, _ in scan.too_large.get(cataloger.name, []))
        written |= paths_seen
        results.append(result)
        if cache is not None and diff_id:
            cache.put_result(diff_id, cataloger.name, cataloger.version, paths_seen, result)
    for _name, (paths_seen, _result) in hits:
        written |= paths_seen
    extras = {path: entry.read()[:MAX_DISTRO_FILE] for path, entry in scan.extras.items()}
    written |= set(extras)
    summary = LayerSummary(whiteouts=tuple(scan.whiteouts), opaque_dirs=tuple(scan.opaque_dirs), files=extras,
                           entries=len(scan.entries), uncompressed_size=scan.uncompressed_size)
    if cache is not None and diff_id:
        cache.put_summary(diff_id, summary)
    facts = LayerFacts(scan.index, diff_id, layer.created_by if layer else "", frozenset(written),
                       summary.whiteouts, summary.opaque_dirs)
    return facts, results, summary


def _run_cataloger(cataloger: Cataloger, files: list[FileEntry], scan: LayerScan, diff_id: str | None) -> CatalogResult:
    from seawall.inventory.isolate import catalog_isolated

    result = catalog_isolated(cataloger, files)  # a file that breaks the cataloger becomes an unknown of its own
    too_large = tuple(
        Unknown(path, f"not read: {size} bytes is over the {cataloger.max_file_size}-byte bound", cataloger.name,
                scan.index)
        for path, size in scan.too_large.get(cataloger.name, [])
    )
    located = tuple(_locate(p, scan.index, diff_id) for p in result.packages)
    return dataclasses.replace(result, packages=located, unknowns=result.unknowns + too_large)


def _locate(package: Package, index: int, diff_id: str | None) -> Package:
    """Stamp the reading layer on every location (catalogers do not know layers' digests)."""
    locations = tuple(dataclasses.replace(loc, layer_index=index, layer_diff_id=diff_id) for loc in package.locations)
    return dataclasses.replace(package, locations=locations)


def _prefer_rpm_database(packages: Sequence[Package]) -> Sequence[Package]:
    if not any(p.type == "rpm" for p in packages):
        return packages  # the rpm readers (and sqlite3) load only for an image that has rpm packages
    from seawall.catalog.rpm_manifest import prefer_rpm_database

    return prefer_rpm_database(packages)


def _visible_files(facts: Sequence[LayerFacts], summaries: Sequence[LayerSummary]) -> dict[str, bytes]:
    """The distro files as the final filesystem shows them."""
    from seawall.inventory.squash import visible_layer

    out: dict[str, bytes] = {}
    for path in DISTRO_PATHS:
        index = visible_layer(path, facts)
        if index is not None and path in summaries[index].files:
            out[path] = summaries[index].files[path]
    return out
