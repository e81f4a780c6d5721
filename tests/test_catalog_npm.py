"""npm: installed package.json files, nested and scoped, never a package's own fixtures."""

from __future__ import annotations

from seawall.catalog.npm import NpmCataloger
from tests.catalog_helpers import catalog_folder


def test_installed_packages_nested_and_scoped() -> None:
    result = catalog_folder("npm-app", NpmCataloger())
    found = sorted((p.name, p.version, p.locations[0].path) for p in result.packages)
    assert found == [
        ("@babel/core", "7.23.2", "/app/node_modules/@babel/core/package.json"),
        ("express", "4.18.2", "/app/node_modules/express/package.json"),
        ("json-schema", "0.2.3", "/app/node_modules/json-schema/package.json"),
        ("npm", "10.2.3", "/usr/local/lib/node_modules/npm/package.json"),
        ("qs", "6.11.0", "/app/node_modules/express/node_modules/qs/package.json"),
        ("qs", "6.5.3", "/app/node_modules/qs/package.json"),
        ("semver", "7.5.4", "/usr/local/lib/node_modules/npm/node_modules/semver/package.json"),
    ]


def test_purls_and_licence_shapes() -> None:
    packages = {(p.name, p.version): p for p in catalog_folder("npm-app", NpmCataloger()).packages}
    assert packages[("@babel/core", "7.23.2")].purl == "pkg:npm/%40babel/core@7.23.2"
    assert packages[("express", "4.18.2")].purl == "pkg:npm/express@4.18.2"
    assert packages[("express", "4.18.2")].licenses == ("MIT",)
    assert packages[("@babel/core", "7.23.2")].licenses == ("MIT",)
    assert packages[("json-schema", "0.2.3")].licenses == ("AFLv2.1", "BSD")
    assert all(p.type == "npm" and p.found_by == "npm" for p in packages.values())


def test_fixture_manifests_and_lockfiles_are_not_selected() -> None:
    cataloger = NpmCataloger()
    assert not cataloger.wants("/app/node_modules/qs/test/fixtures/package.json", 0o100644, 10)
    assert not cataloger.wants("/app/node_modules/.package-lock.json", 0o100644, 10)
    assert not cataloger.wants("/app/package.json", 0o100644, 10)


def test_debian_module_directories_are_selected_like_node_modules() -> None:
    cataloger = NpmCataloger()
    for path in ("/usr/share/nodejs/acorn/package.json", "/usr/share/nodejs/@types/node/package.json",
                 "/usr/lib/nodejs/busboy/package.json", "/usr/lib/x86_64-linux-gnu/nodejs/cjs-module/package.json",
                 "/usr/share/nodejs/npm/node_modules/abbrev/package.json"):
        assert cataloger.wants(path, 0o100644, 10), path
    for path in ("/usr/share/nodejs/acorn/dist/package.json", "/usr/share/nodejs/package.json",
                 "/usr/share/nodejs/.hidden/package.json"):
        assert not cataloger.wants(path, 0o100644, 10), path


def test_broken_manifest_is_an_unknown() -> None:
    result = catalog_folder("npm-app", NpmCataloger())
    assert [u.path for u in result.unknowns] == ["/app/node_modules/broken/package.json"]
