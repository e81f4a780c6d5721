"""Java archives: Maven coordinates, manifests, nested archives, bounds and broken archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from seawall.catalog.java import MAX_DEPTH, JavaCataloger, pom_xml_coordinates
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
    # OSGi manifest (Bundle-SymbolicName javax.inject, Bundle-Version 1.0.0), no pom.properties: the file name tells
    assert (inject.name, inject.version) == ("atinject-jsr330-api", "1.0")
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
        ("javax.inject", "1", "WEB-INF/lib/javax.inject-1.jar"),
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


def _manifest(*lines: str) -> bytes:
    """A MANIFEST.MF as jar tools write it: CRLF, long values folded at 72 bytes with a leading space."""
    return "".join(f"{line}\r\n" for line in ("Manifest-Version: 1.0", *lines, "")).encode()


# The OSGi part of the manifests of Debian's guice 4.2.3 jars (libguice-java).
def _guice_manifest(bundle_name: str, symbolic_name: str) -> bytes:
    return _manifest(
        "Created-By: Apache Maven 3.6.3",
        "Bundle-License: http://www.apache.org/licenses/LICENSE-2.0.txt",
        "Bundle-ManifestVersion: 2",
        f"Bundle-Name: {bundle_name}",
        f"Bundle-SymbolicName: {symbolic_name}",
        "Bundle-Vendor: Google, Inc.",
        "Bundle-Version: 4.2.3",
        'Export-Package: com.google.inject;version="1.4",com.google.inject.binder',
        ' ;version="1.4"',
    )


def _catalog(files: dict[str, bytes]) -> dict[str, list[tuple[str, str, str | None]]]:
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files(files, cataloger))
    assert result.unknowns == ()
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    for package in result.packages:
        found.setdefault(package.locations[0].path, []).append((package.name, package.version, package.purl))
    return {path: sorted(packages) for path, packages in found.items()}


def test_artifact_name_comes_from_the_file_name_not_the_bundle_symbolic_name() -> None:
    found = _catalog(
        {
            "/usr/share/java/guice-assistedinject.jar": _zip(
                {"META-INF/MANIFEST.MF": _guice_manifest("guice-assistedinject", "com.google.inject.assistedinject")}
            ),
            "/usr/share/java/guice-multibindings.jar": _zip(
                {"META-INF/MANIFEST.MF": _guice_manifest("guice-multibindings", "com.google.inject")}
            ),
            "/usr/share/java/guice-no-aop-4.2.3.jar": _zip(
                {"META-INF/MANIFEST.MF": _guice_manifest("guice", "com.google.inject")}
            ),
        }
    )
    assert found == {
        # the version from the manifest; the group is a guess from the symbolic name, the artifactId is not
        "/usr/share/java/guice-assistedinject.jar": [
            (
                "guice-assistedinject",
                "4.2.3",
                "pkg:maven/com.google.inject.assistedinject/guice-assistedinject@4.2.3",
            )
        ],
        "/usr/share/java/guice-multibindings.jar": [
            ("guice-multibindings", "4.2.3", "pkg:maven/com.google.inject/guice-multibindings@4.2.3")
        ],
        "/usr/share/java/guice-no-aop-4.2.3.jar": [
            ("guice-no-aop", "4.2.3", "pkg:maven/com.google.inject/guice-no-aop@4.2.3")
        ],
    }


def test_group_guess_is_marked_and_a_stated_group_wins() -> None:
    cataloger = JavaCataloger()
    jars = {
        "/a/guice-jndi.jar": _zip({"META-INF/MANIFEST.MF": _guice_manifest("guice-jndi", "com.google.inject.jndi")}),
        "/a/tool.jar": _zip(
            {
                "META-INF/MANIFEST.MF": _manifest(
                    "Implementation-Title: Tool",
                    "Implementation-Version: 2.0",
                    "Implementation-Vendor-Id: org.example",
                    "Bundle-SymbolicName: org.example.tool;singleton:=true",
                )
            }
        ),
    }
    packages = {p.locations[0].path: p for p in cataloger.catalog(entries_from_files(jars, cataloger)).packages}
    jndi = dict(packages["/a/guice-jndi.jar"].metadata)
    assert (jndi["group"], jndi["group_source"]) == ("com.google.inject.jndi", "Bundle-SymbolicName")
    tool = packages["/a/tool.jar"]
    assert tool.purl == "pkg:maven/org.example/tool@2.0" and "group_source" not in dict(tool.metadata)


def test_debian_version_in_the_file_name() -> None:
    # libjsr305-java: a bare manifest, the version only in the file name
    bare = _zip({"META-INF/MANIFEST.MF": _manifest("Created-By: 11.0.2 (Oracle Corporation)")})
    found = _catalog({"/usr/share/java/jsr305-0.1~+svn49.jar": bare, "/usr/share/java/foo-2.1+dfsg-1.jar": bare})
    assert found == {
        "/usr/share/java/jsr305-0.1~+svn49.jar": [("jsr305", "0.1~+svn49", "pkg:maven/jsr305@0.1~%2Bsvn49")],
        "/usr/share/java/foo-2.1+dfsg-1.jar": [("foo", "2.1+dfsg-1", "pkg:maven/foo@2.1%2Bdfsg-1")],
    }


def test_manifest_version_splits_a_file_name_with_digits_in_the_artifact() -> None:
    jar = _zip(
        {
            "META-INF/MANIFEST.MF": _manifest(
                "Implementation-Title: Apache Log4j 1.x Compatibility API", "Implementation-Version: 2.17.1"
            )
        }
    )
    found = _catalog({"/app/lib/log4j-1.2-api-2.17.1.jar": jar})
    assert found == {
        "/app/lib/log4j-1.2-api-2.17.1.jar": [("log4j-1.2-api", "2.17.1", "pkg:maven/log4j-1.2-api@2.17.1")]
    }


def test_shaded_dependency_does_not_hide_the_jar_itself() -> None:
    # Debian's guice.jar: cglib is shaded in, and its pom.properties is the only one in the jar
    guice = _zip(
        {
            "META-INF/MANIFEST.MF": _guice_manifest("guice", "com.google.inject"),
            "META-INF/maven/cglib/cglib/pom.properties": (
                b"#Created by Apache Maven 3.6.0\ngroupId=cglib\nartifactId=cglib\nversion=3.2.12\n"
            ),
            "META-INF/maven/cglib/cglib/pom.xml": b"<project/>",
            "com/google/inject/Guice.class": b"\xca\xfe\xba\xbe",
        }
    )
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files({"/usr/share/java/guice.jar": guice}, cataloger))
    packages = {p.name: p for p in result.packages}
    assert set(packages) == {"guice", "cglib"}
    assert packages["guice"].purl == "pkg:maven/com.google.inject/guice@4.2.3"
    assert packages["cglib"].purl == "pkg:maven/cglib/cglib@3.2.12"
    # the manifest's license is guice's, not cglib's
    assert packages["guice"].licenses == ("http://www.apache.org/licenses/LICENSE-2.0.txt",)
    assert packages["cglib"].licenses == ()


def _pom(group: str, artifact: str, version: str) -> bytes:
    return f"artifactId={artifact}\ngroupId={group}\nversion={version}\n".encode()


@pytest.mark.parametrize(
    ("path", "members", "expected"),
    [
        # Debian renames Maven's jars; the pom.properties is still the jar's own (Implementation-Title says so)
        (
            "/usr/share/java/maven3-core.jar",
            {
                "META-INF/MANIFEST.MF": _manifest(
                    "Created-By: Maven JAR Plugin 3.3.0",
                    "Specification-Title: Maven Core",
                    "Specification-Version: 3.8",
                    "Implementation-Title: Maven Core",
                    "Implementation-Version: 3.8.7",
                ),
                "META-INF/maven/org.apache.maven/maven-core/pom.properties": _pom(
                    "org.apache.maven", "maven-core", "3.8.7"
                ),
            },
            {"maven-core"},
        ),
        (
            "/usr/share/java/plexus-utils2.jar",
            {
                "META-INF/maven/org.codehaus.plexus/plexus-utils/pom.properties": _pom(
                    "org.codehaus.plexus", "plexus-utils", "3.4.2"
                )
            },
            {"plexus-utils"},
        ),
        (
            "/usr/share/java/sisu-inject.jar",
            {
                "META-INF/maven/org.eclipse.sisu/org.eclipse.sisu.inject/pom.properties": _pom(
                    "org.eclipse.sisu", "org.eclipse.sisu.inject", "0.3.4"
                )
            },
            {"org.eclipse.sisu.inject"},
        ),
        (
            "/usr/share/java/error-prone-annotations.jar",
            {
                "META-INF/maven/com.google.errorprone/error_prone_annotations/pom.properties": _pom(
                    "com.google.errorprone", "error_prone_annotations", "2.18.0"
                )
            },
            {"error_prone_annotations"},
        ),
        # wagon-http with its dependencies shaded in: five poms, the jar's own among them
        (
            "/usr/share/java/wagon-http-shaded-3.5.3.jar",
            {
                "META-INF/maven/commons-codec/commons-codec/pom.properties": _pom(
                    "commons-codec", "commons-codec", "1.15"
                ),
                "META-INF/maven/org.apache.httpcomponents/httpclient/pom.properties": _pom(
                    "org.apache.httpcomponents", "httpclient", "4.5.14"
                ),
                "META-INF/maven/org.apache.httpcomponents/httpcore/pom.properties": _pom(
                    "org.apache.httpcomponents", "httpcore", "4.4.16"
                ),
                "META-INF/maven/org.apache.maven.wagon/wagon-http-shared/pom.properties": _pom(
                    "org.apache.maven.wagon", "wagon-http-shared", "3.5.3"
                ),
                "META-INF/maven/org.apache.maven.wagon/wagon-http/pom.properties": _pom(
                    "org.apache.maven.wagon", "wagon-http", "3.5.3"
                ),
            },
            {"commons-codec", "httpclient", "httpcore", "wagon-http-shared", "wagon-http"},
        ),
    ],
)
def test_jar_named_unlike_its_own_pom_is_listed_once(path: str, members: dict[str, bytes], expected: set[str]) -> None:
    cataloger = JavaCataloger()
    result = cataloger.catalog(entries_from_files({path: _zip(members)}, cataloger))
    assert [p.name for p in result.packages if dict(p.metadata)["source"] != "pom.properties"] == []
    assert {p.name for p in result.packages} == expected


def test_pom_xml_without_pom_properties_jenkins_plugin_and_weaver_jar() -> None:
    result = catalog_folder("java-layouts", JavaCataloger())
    assert result.unknowns == ()
    got = {p.locations[0].path: p.purl for p in result.packages}
    assert got == {
        # sbt names the file group.artifact-version.jar; the pom inside says who it is
        "/opt/app/lib/com.fasterxml.jackson.core.jackson-core-2.15.2.jar":
            "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
        # no version of its own in the pom: the parent's
        "/opt/app/lib/log4j-core.jar": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "/var/jenkins_home/plugins/gradle.jpi": "pkg:maven/org.jenkins-ci.plugins/gradle@2.11",
    }  # fmt: skip
    # spring-instrumentation-4.3.0-1.0.jar is a New Relic weaver module (Weave-Classes), not a Spring artifact
    assert all("spring" not in (p.purl or "") for p in result.packages)
    assert all(dict(p.metadata)["source"] in ("pom.xml", "MANIFEST.MF") for p in result.packages)


@pytest.mark.parametrize(
    ("pom", "stem", "expected"),
    [
        (
            "<project><groupId>org.example</groupId><artifactId>lib</artifactId><version>${revision}</version>"
            "<properties><revision>${major}.4</revision><major>1</major></properties></project>",
            "lib",
            {"groupId": "org.example", "artifactId": "lib", "version": "1.4"},
        ),
        (
            "<project><artifactId>lib</artifactId><version>${unknown.version}</version></project>",
            "lib-3.0.1",
            {"groupId": "org.example", "artifactId": "lib", "version": "3.0.1"},
        ),
        ("<project><artifactId>lib</artifactId></project>", "lib", None),
        ('<!DOCTYPE p [<!ENTITY a "aaaa">]><project><artifactId>&a;</artifactId></project>', "lib", None),
        ("<project><artifactId>lib</artifact", "lib", None),
    ],
)
def test_pom_xml_coordinates(pom: str, stem: str, expected: dict[str, str] | None) -> None:
    assert pom_xml_coordinates(pom, "META-INF/maven/org.example/lib/pom.xml", stem) == expected
