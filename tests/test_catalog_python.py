"""Python: dist-info, egg-info (folder and single file) in system, /usr/local and venv site-packages."""

from __future__ import annotations

import sysconfig
from importlib import metadata
from pathlib import Path

from seawall.catalog.python import PythonCataloger
from tests.catalog_helpers import catalog_folder, entries_from_files, real_entries


def test_distributions_everywhere_with_purls_and_licences() -> None:
    result = catalog_folder("python-site", PythonCataloger(), layer_index=3)
    packages = {p.name: p for p in result.packages}
    assert set(packages) == {"PyYAML", "crcmod", "Django", "zope.interface", "PyJWT", "six"}
    assert packages["PyYAML"].purl == "pkg:pypi/pyyaml@6.0"
    assert packages["zope.interface"].purl == "pkg:pypi/zope-interface@6.1"
    assert packages["zope.interface"].licenses == ("ZPL-2.1",)
    assert packages["Django"].licenses == ("BSD-3-Clause",)
    assert packages["PyYAML"].licenses == ("MIT",)
    site = "/usr/local/lib/python3.11/site-packages"
    assert packages["PyJWT"].purl == "pkg:pypi/pyjwt@1.7.1" and packages["PyJWT"].licenses == ("MIT",)
    assert packages["PyJWT"].locations[0].path == f"{site}/PyJWT-1.7.1-py3.11.egg/EGG-INFO/PKG-INFO"
    assert packages["six"].purl == "pkg:pypi/six@1.10.0"  # a zipped egg
    assert packages["six"].locations[0].path == f"{site}/six-1.10.0-py3.11.egg"
    django = packages["Django"]
    assert django.type == "python" and django.found_by == "python" and django.locations[0].layer_index == 3


def test_interpreter_record_is_not_a_pypi_package() -> None:
    """Debian's python2.7 ships lib-dynload/Python-2.7.egg-info for the interpreter itself; dpkg already has it."""
    cataloger = PythonCataloger()
    path = "/usr/lib/python2.7/lib-dynload/Python-2.7.egg-info"
    assert cataloger.wants(path, 0o100644, 1000)
    result = catalog_folder("python-site", cataloger)
    assert all(p.name != "Python" for p in result.packages)
    assert all(u.path != path for u in result.unknowns)


def test_damaged_zipped_egg_is_an_unknown() -> None:
    cataloger = PythonCataloger()
    path = "/usr/local/lib/python3.11/site-packages/foo-1.0-py3.11.egg"
    result = cataloger.catalog(entries_from_files({path: b"PK\x03\x04 not really a zip"}, cataloger))
    assert result.packages == () and "unreadable egg" in result.unknowns[0].reason


def test_metadata_without_name_is_an_unknown() -> None:
    result = catalog_folder("python-site", PythonCataloger())
    assert [u.path for u in result.unknowns] == [
        "/opt/app/.venv/lib/python3.12/site-packages/broken-1.0.dist-info/METADATA"
    ]
    assert "Name or Version" in result.unknowns[0].reason


def test_licence_from_classifiers_when_license_field_is_a_whole_text() -> None:
    text = (
        "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nLicense: Copyright (c) someone\n        Permission is hereby"
        "\nClassifier: License :: OSI Approved :: Apache Software License\n"
    )
    cataloger = PythonCataloger()
    path = "/usr/lib/python3/site-packages/foo-1.0.dist-info/METADATA"
    result = cataloger.catalog(entries_from_files({path: text.encode()}, cataloger))
    assert result.packages[0].licenses == ("Apache Software License",)


def test_binary_garbage_is_an_unknown() -> None:
    cataloger = PythonCataloger()
    path = "/usr/lib/python3/site-packages/foo-1.0.dist-info/METADATA"
    result = cataloger.catalog(entries_from_files({path: b"\x00\x01\x02" * 10}, cataloger))
    assert result.packages == () and len(result.unknowns) == 1


def test_every_distribution_of_this_environment_is_found() -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    expected = {(d.metadata["Name"], d.version) for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"]}
    cataloger = PythonCataloger()
    paths = [p for p in site.rglob("*") if p.is_file() and cataloger.wants(str(p), 0o100644, p.stat().st_size)]
    result = cataloger.catalog(real_entries(paths))
    assert {(p.name, p.version) for p in result.packages} == expected
