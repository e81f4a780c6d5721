"""Java archives: Maven coordinates, manifests, nested archives, bounds and broken archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from seawall.catalog.java import MAX_DEPTH, JavaCataloger
from tests.catalog_helpers import catalog_folder, entries_from_files, real_entries


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


LIB = Path(__file__).parent / "assets/rootfs/java-app/opt/app/lib"


def test_real_jars_pom_manifest_and_file_name() -> None:
    result = catalog_folder("java-app", JavaCataloger(), layer_index=1)
    packages = {p.locations[0].path.rsplit("/", 1)[-1]: p for p in result.packages}
    cli = packages["commons-cli-1.5.0.jar"]
    assert (cli.name, cli.version, cli.purl) == ("commons-cli", "1.5.0", "pkg:maven/commons-cli/commons-cli@1.5.0")
    inject = packages["atinject-jsr330-api-1.0.jar"]
    assert (inject.name, inject.version) == ("javax.inject", "1.0.0")  # OSGi manifest, no pom.properties
    aop = packages["aopalliance-1.0.jar"]
    assert (aop.name, aop.version) == ("aopalliance", "1.0")  # a bare manifest: the file name tells
    assert all(p.type == "java-archive" and p.found_by == "java" for p in result.packages)
    assert cli.locations[0].layer_index == 1 and result.unknowns == ()


def test_war_with_nested_jars() -> None:
    war = _zip(
        {
            "META-INF/MANIFEST.MF": (
                b"Manifest-Version: 1.0\r\nImplementation-Title: shop\r\nImplementation-Version: 2.1\r\n"
            ),
            "META-INF/maven/com.example/shop/pom.properties": b"groupId=com.example\nartifactId=shop\nversion=2.1.0\n",
            "WEB-INF/lib/commons-cli-1.5.0.jar": (LIB / "commons-cli-1.5.0.jar").read_bytes(),
            "WEB-INF/lib/javax.inject-1.jar": (LIB / "atinject-jsr330-api-1.0.jar").read_bytes(),
            "index.html": b"<html></html>",
        }
    )
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files({"/srv/shop.war": war}, cataloger))
    found = {(p.name, p.version, dict(p.metadata).get("nested_path")) for p in result.packages}
    assert found == {
        ("shop", "2.1.0", None),
        ("commons-cli", "1.5.0", "WEB-INF/lib/commons-cli-1.5.0.jar"),
        ("javax.inject", "1.0.0", "WEB-INF/lib/javax.inject-1.jar"),
    }
    assert all(p.locations[0].path == "/srv/shop.war" for p in result.packages)


def test_nesting_is_depth_bounded() -> None:
    inner = _zip({"META-INF/maven/g/a/pom.properties": b"groupId=g\nartifactId=a\nversion=1\n"})
    for level in range(MAX_DEPTH + 1):
        inner = _zip({f"lib/level{level}.jar": inner})
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files({"/app.jar": inner}, cataloger))
    assert not any(p.name == "a" for p in result.packages)
    assert any("deeper than" in u.reason for u in result.unknowns)


def test_zip_bomb_member_is_not_inflated() -> None:
    bomb = _zip({"lib/huge.jar": b"\x00" * (20 * 1024 * 1024)})
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files({"/app.jar": bomb}, cataloger))
    assert any("exceeds the size bounds" in u.reason for u in result.unknowns)


@pytest.mark.parametrize("cut", [0.5, 0.95])
def test_truncated_jar_is_an_unknown(cut: float) -> None:
    data = (LIB / "commons-cli-1.5.0.jar").read_bytes()
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files({"/opt/app/lib/cut.jar": data[: int(len(data) * cut)]}, cataloger))
    assert result.packages == ()
    assert len(result.unknowns) == 1 and result.unknowns[0].path == "/opt/app/lib/cut.jar"


def test_corrupt_member_is_an_unknown() -> None:
    data = bytearray(_zip({"META-INF/maven/g/a/pom.properties": b"groupId=g\nartifactId=a\nversion=1\n" * 50}))
    data[60:80] = b"\xff" * 20  # inside the deflated member
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files({"/x.jar": bytes(data)}, cataloger))
    assert result.packages == () and len(result.unknowns) == 1


def test_real_jars_of_this_machine() -> None:
    jars = sorted(p for p in Path("/usr/share/java").glob("*.jar") if p.is_file() and not p.is_symlink())
    if not jars:
        pytest.skip("no jars in /usr/share/java")
    result = JavaCataloger().catalog(real_entries(jars))
    assert result.unknowns == ()
    found = {(p.name, p.version) for p in result.packages}
    if Path("/usr/share/java/guava-31.1-jre.jar").exists():
        assert ("guava", "31.1-jre") in found
    assert len({p.locations[0].path for p in result.packages}) == len(jars)
