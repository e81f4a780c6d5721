"""Every cataloger's parser on near-real hostile files: a result (packages and unknowns), never an exception."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from seawall.catalog.apk import ApkCataloger
from seawall.catalog.distro import detect_distro
from seawall.catalog.dpkg import DpkgCataloger
from seawall.catalog.go_buildinfo import parse_modinfo, read_build_info
from seawall.catalog.golang import GoBinaryCataloger
from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.java import JavaCataloger, parse_manifest, parse_properties
from seawall.catalog.npm import NpmCataloger
from seawall.catalog.php import ComposerCataloger
from seawall.catalog.python import PythonCataloger
from seawall.catalog.rpm import RpmCataloger
from seawall.catalog.rpm_header import parse_header
from seawall.catalog.ruby import GemCataloger
from tests.catalog_helpers import ASSETS
from tests.fuzz.bounds import fuzz, survives
from tests.fuzz.strategies import mutated_bytes, mutated_json, mutated_text
from tests.test_catalog_golang import MODINFO, inline_elf, legacy_elf
from tests.test_catalog_rpm import real_blobs


def _read(path: str) -> bytes:
    return (ASSETS / path).read_bytes()


def _catalog(cataloger: Cataloger, path: str, data: bytes, mode: int = 0o100644) -> CatalogResult | None:
    entry = FileEntry(path, len(data), mode, 0, data=data)
    result = survives(lambda: cataloger.catalog([entry]))
    assert result is None or isinstance(result, CatalogResult)
    return result


DPKG = _read("debian-bookworm/var/lib/dpkg/status").decode()
APK = _read("alpine-3.19/lib/apk/db/installed").decode()
METADATA = _read("python-site/usr/local/lib/python3.11/site-packages/Django-4.2.7.dist-info/METADATA").decode()
PACKAGE_JSON = json.loads(_read("npm-app/app/node_modules/@babel/core/package.json"))
COMPOSER = json.loads(_read("php-composer/var/www/html/vendor/composer/installed.json"))
GEMSPEC = _read("ruby-gems/usr/local/bundle/specifications/rake-13.0.6.gemspec").decode()
JAR = _read("java-app/opt/app/lib/commons-cli-1.5.0.jar")
RPM_HEADER = real_blobs()[0][1]


def _jar_members() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(JAR)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.endswith(("MANIFEST.MF", "pom.properties"))}


JAR_TEXT = _jar_members()
MANIFEST_MF = next(v for k, v in JAR_TEXT.items() if k.endswith("MANIFEST.MF")).decode()
POM_PROPERTIES = next(v for k, v in JAR_TEXT.items() if k.endswith("pom.properties")).decode()


@fuzz
@given(mutated_text(DPKG))
def test_dpkg_status(text: str) -> None:
    _catalog(DpkgCataloger(), "/var/lib/dpkg/status", text.encode("utf-8", "surrogatepass"))


@fuzz
@given(mutated_text(APK))
def test_apk_installed(text: str) -> None:
    _catalog(ApkCataloger(), "/lib/apk/db/installed", text.encode("utf-8", "surrogatepass"))


@fuzz
@given(mutated_bytes(RPM_HEADER, hot=(0,)))
def test_rpm_header(blob: bytes) -> None:
    survives(lambda: parse_header(blob))


@fuzz
@given(st.lists(mutated_bytes(RPM_HEADER, hot=(0,)), min_size=1, max_size=3))
def test_rpm_ndb_and_bdb_files(blobs: list[bytes]) -> None:
    from tests.test_catalog_rpm import bdb_hash_file, ndb_file
    records = list(enumerate(blobs, start=1))
    _catalog(RpmCataloger(), "/var/lib/rpm/Packages", bdb_hash_file(records))
    _catalog(RpmCataloger(), "/usr/lib/sysimage/rpm/Packages.db", ndb_file(records))


@fuzz
@given(mutated_text(METADATA))
def test_python_metadata(text: str) -> None:
    _catalog(PythonCataloger(), "/usr/lib/python3/site-packages/x-1.dist-info/METADATA",
             text.encode("utf-8", "surrogatepass"))


@fuzz
@given(mutated_json(PACKAGE_JSON) | st.binary(max_size=200).map(lambda b: {"raw": b.decode("latin-1")}))
def test_package_json(doc: object) -> None:
    _catalog(NpmCataloger(), "/app/node_modules/x/package.json", json.dumps(doc).encode())


@fuzz
@given(mutated_json(COMPOSER))
def test_composer_installed_json(doc: object) -> None:
    _catalog(ComposerCataloger(), "/app/vendor/composer/installed.json", json.dumps(doc).encode())


@fuzz
@given(mutated_text(GEMSPEC))
def test_gemspec(text: str) -> None:
    _catalog(GemCataloger(), "/usr/lib/ruby/gems/3.1.0/specifications/x.gemspec", text.encode("utf-8", "surrogatepass"))


@fuzz
@given(mutated_bytes(inline_elf(b"go1.21.5", MODINFO.encode()), hot=(0, 64))
       | mutated_bytes(legacy_elf(b"go1.16.2", MODINFO.encode()), hot=(0, 64)))
def test_go_buildinfo(binary: bytes) -> None:
    survives(lambda: read_build_info(io.BytesIO(binary)))
    _catalog(GoBinaryCataloger(), "/usr/bin/app", binary + bytes(max(0, 4096 - len(binary))), mode=0o100755)


@fuzz
@given(mutated_text(MODINFO))
def test_go_modinfo_text(text: str) -> None:
    survives(lambda: parse_modinfo("go1.21.5", text))


@fuzz
@given(mutated_text(MANIFEST_MF))
def test_jar_manifest(text: str) -> None:
    survives(lambda: parse_manifest(text))


@fuzz
@given(mutated_text(POM_PROPERTIES))
def test_pom_properties(text: str) -> None:
    survives(lambda: parse_properties(text))


@fuzz
@given(mutated_text(MANIFEST_MF), mutated_text(POM_PROPERTIES))
def test_jar_with_hostile_manifest_and_pom(manifest: str, pom: str) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", manifest.encode("utf-8", "surrogatepass"))
        archive.writestr("META-INF/maven/g/a/pom.properties", pom.encode("utf-8", "surrogatepass"))
    _catalog(JavaCataloger(), "/opt/app/a-1.0.jar", out.getvalue())


@fuzz
@given(mutated_bytes(JAR, hot=(0, len(JAR) - 22)))
def test_jar_bytes(data: bytes) -> None:
    _catalog(JavaCataloger(), "/opt/app/commons-cli-1.5.0.jar", data)


@fuzz
@given(mutated_text("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"
                    "VERSION_CODENAME=bookworm\n"), mutated_text("12.5\n"))
def test_os_release(os_release: str, debian_version: str) -> None:
    files = {"/etc/os-release": os_release.encode("utf-8", "surrogatepass"),
             "/etc/debian_version": debian_version.encode("utf-8", "surrogatepass")}
    survives(lambda: detect_distro(files))


def test_seeds_are_real() -> None:
    """The seeds parse cleanly, so the mutations start from formats the parsers know."""
    assert _catalog(DpkgCataloger(), "/var/lib/dpkg/status", DPKG.encode()).packages  # type: ignore[union-attr]
    assert _catalog(ApkCataloger(), "/lib/apk/db/installed", APK.encode()).packages  # type: ignore[union-attr]
    assert parse_header(RPM_HEADER) is not None
    assert struct.unpack_from(">I", RPM_HEADER)[0] > 0
    assert Path(ASSETS).is_dir() and parse_properties(POM_PROPERTIES) and parse_manifest(MANIFEST_MF)
