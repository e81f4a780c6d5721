"""Squashing per-layer results: what the final filesystem holds, and which layer introduced it."""

from __future__ import annotations

from seawall.catalog.interface import CatalogResult
from seawall.inventory.squash import LayerFacts, squash, visible_layer
from seawall.model.sbom import Location, Package, Unknown

STATUS = "/var/lib/dpkg/status"


def deb(name: str, version: str, layer: int) -> Package:
    return Package(name=name, version=version, type="deb", found_by="dpkg",
                   locations=(Location(STATUS, layer),))


def layer(index: int, written: set[str], **kw: tuple[str, ...]) -> LayerFacts:
    return LayerFacts(index=index, diff_id=f"sha256:{index:064x}", created_by=f"RUN step {index}",
                      written=frozenset(written), **kw)


def test_purged_package_disappears_and_survivors_keep_their_origin() -> None:
    layers = [layer(0, {STATUS}), layer(1, {STATUS}), layer(2, {STATUS})]
    results = [
        [CatalogResult(packages=(deb("base-files", "12", 0), deb("bash", "5.2", 0)))],
        [CatalogResult(packages=(deb("base-files", "12", 1), deb("bash", "5.2", 1), deb("curl", "7.88", 1)))],
        [CatalogResult(packages=(deb("base-files", "12", 2), deb("bash", "5.2", 2)))],
    ]
    out = squash(layers, results)
    got = {(p.name, p.layer_index, p.created_by) for p in out.packages}
    assert got == {("base-files", 0, "RUN step 0"), ("bash", 0, "RUN step 0")}


def test_upgraded_package_is_credited_to_the_upgrading_layer() -> None:
    layers = [layer(0, {STATUS}), layer(1, set()), layer(2, {STATUS})]
    results = [
        [CatalogResult(packages=(deb("openssl", "3.0.1", 0), deb("bash", "5.2", 0)))],
        [CatalogResult()],
        [CatalogResult(packages=(deb("openssl", "3.0.9", 2), deb("bash", "5.2", 2)))],
    ]
    out = squash(layers, results)
    assert {(p.name, p.version, p.layer_index) for p in out.packages} == {("openssl", "3.0.9", 2), ("bash", "5.2", 0)}


def test_whiteout_and_opaque_dir_hide_lower_files() -> None:
    meta = "/usr/lib/python3/site-packages/requests-2.0.dist-info/METADATA"
    other = "/app/node_modules/left-pad/package.json"
    py = Package(name="requests", version="2.0", type="python", found_by="python", locations=(Location(meta, 0),))
    npm = Package(name="left-pad", version="1.0", type="npm", found_by="npm", locations=(Location(other, 0),))
    layers = [
        layer(0, {meta, other}),
        layer(1, set(), whiteouts=("/usr/lib/python3/site-packages/requests-2.0.dist-info",), opaque_dirs=("/app",)),
    ]
    out = squash(layers, [[CatalogResult(packages=(py, npm))], [CatalogResult()]])
    assert out.packages == []
    assert visible_layer(meta, layers) is None


def test_rewritten_file_after_delete_starts_a_new_history() -> None:
    layers = [layer(0, {STATUS}), layer(1, set(), whiteouts=(STATUS,)), layer(2, {STATUS})]
    results = [[CatalogResult(packages=(deb("bash", "5.2", 0),))], [CatalogResult()],
               [CatalogResult(packages=(deb("bash", "5.2", 2),))]]
    (package,) = squash(layers, results).packages
    assert package.layer_index == 2


def test_unknowns_follow_visibility() -> None:
    bad = Unknown(path="/app/broken.jar", reason="truncated zip", found_by="java", layer_index=0)
    layers = [layer(0, {"/app/broken.jar"}), layer(1, set(), whiteouts=("/app/broken.jar",))]
    assert squash(layers, [[CatalogResult(unknowns=(bad,))], [CatalogResult()]]).unknowns == []
    assert squash(layers[:1], [[CatalogResult(unknowns=(bad,))]]).unknowns == [bad]
