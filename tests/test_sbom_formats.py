"""SBOM formats: seawall's inventory written as table / JSON / CycloneDX 1.6 / SPDX 2.3, and read back from any tool."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from seawall.errors import InputError
from seawall.formats import Format
from seawall.model.sbom import SBOM, Package
from seawall.output import render_sbom
from seawall.reports import sbom_input
from seawall.reports.sbom_input import read_sbom_file
from tests.sbom_samples import NOW, SERIAL, sample_sbom
from tests.snapshot import assert_snapshot

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / "tests" / "assets" / "sbom"
SEAWALL_SCHEMA = REPO / "src" / "seawall" / "output" / "schemas" / "sbom-v1.json"
SPDX_SCHEMA = REPO / "tests" / "assets" / "schemas" / "spdx-schema-2.3.json"
SNAPSHOT_NAMES = {
    Format.TABLE: "sbom/sample.table.txt",
    Format.JSON: "sbom/sample.seawall.json",
    Format.CYCLONEDX: "sbom/sample.cdx.json",
    Format.SPDX: "sbom/sample.spdx.json",
}


@pytest.fixture(scope="module")
def sbom() -> SBOM:
    return sample_sbom()


def render(sbom: SBOM, fmt: Format) -> str:
    return render_sbom(sbom, fmt, now=NOW, serial=SERIAL)


def written(tmp_path: Path, sbom: SBOM, fmt: Format, name: str = "sbom.json") -> Path:
    path = tmp_path / name
    path.write_text(render(sbom, fmt), encoding="utf-8")
    return path


def ordered(packages: tuple[Package, ...]) -> list[Package]:
    """Packages in a fixed order: CycloneDX sorts its components, and order is not a fact an SBOM records."""
    return sorted(packages, key=repr)


# --- writing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(SNAPSHOT_NAMES))
def test_every_encoder_matches_its_golden_file(sbom: SBOM, fmt: Format) -> None:
    assert_snapshot(SNAPSHOT_NAMES[fmt], render(sbom, fmt))


def test_output_is_deterministic_given_clock_and_serial(sbom: SBOM) -> None:
    for fmt in SNAPSHOT_NAMES:
        assert render(sbom, fmt) == render(sbom, fmt)
    assert render_sbom(sbom, "cyclonedx-json", now=NOW, serial=SERIAL) == render(sbom, Format.CYCLONEDX)


def test_seawall_json_validates_against_its_published_schema(sbom: SBOM) -> None:
    document = json.loads(render(sbom, Format.JSON))
    schema = json.loads(SEAWALL_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["schema"] == "https://seawall.dev/schema/sbom/v1"
    assert document["schemaVersion"] == 1
    assert document["createdAt"] == "2024-05-01T12:00:00Z"


def test_cyclonedx_is_valid_1_6_with_image_distro_and_seawall_properties(sbom: SBOM) -> None:
    text = render(sbom, Format.CYCLONEDX)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    assert bom["serialNumber"] == f"urn:uuid:{SERIAL}"
    assert bom["metadata"]["timestamp"].startswith("2024-05-01T12:00:00")
    root = bom["metadata"]["component"]
    assert root["type"] == "container"
    assert root["name"] == "registry.example.com/shop/app"
    assert root["version"] == "sha256:" + "c3" * 32
    assert root["purl"] == (
        "pkg:oci/app@sha256%3A" + "c3" * 32 + "?arch=arm64&repository_url=registry.example.com/shop/app&tag=1.4"
    )
    os_component = next(c for c in bom["components"] if c["type"] == "operating-system")
    assert (os_component["name"], os_component["version"]) == ("debian", "12")
    libssl = next(c for c in bom["components"] if c["name"] == "libssl3")
    properties = {(p["name"], p["value"]) for p in libssl["properties"]}
    assert ("seawall:package:sourceName", "openssl") in properties
    assert ("seawall:layer:index", "0") in properties
    assert ("seawall:layer:diffID", "sha256:" + "b1" * 32) in properties
    assert ("seawall:location:0:path", "/var/lib/dpkg/status") in properties
    assert libssl["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    owned = next(c for c in bom["components"] if c.get("version") == "2.28.1")
    assert any(p["name"] == "seawall:package:ownedBy" for p in owned["properties"])
    image_deps = next(d for d in bom["dependencies"] if d["ref"] == root["bom-ref"])
    assert len(image_deps["dependsOn"]) == len(sbom.packages) + 1  # every package and the OS


def test_cyclonedx_bom_refs_stay_unique_when_two_packages_share_a_purl(sbom: SBOM) -> None:
    twice = replace(sbom, packages=(*sbom.packages, replace(sbom.packages[0], locations=())))
    bom = json.loads(render(twice, Format.CYCLONEDX))
    refs = [c["bom-ref"] for c in bom["components"]]
    assert len(refs) == len(set(refs))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom)) is None


@pytest.mark.parametrize(
    ("licences", "expected"),
    [
        (("mit",), [{"license": {"id": "MIT"}}]),
        (("Apache-2.0 OR MIT",), [{"expression": "Apache-2.0 OR MIT"}]),
        (("GPL-2+",), [{"license": {"name": "GPL-2+"}}]),
        # Several: never an expression among them, SPDX ids first, each licence once.
        (
            ("GPL-2+", "Zlib", "MIT OR Apache-2.0", "zlib"),
            [{"license": {"id": "Zlib"}}, {"license": {"name": "GPL-2+"}}, {"license": {"name": "MIT OR Apache-2.0"}}],
        ),
    ],
)
def test_cyclonedx_licences_are_spdx_ids_expressions_or_names(
    sbom: SBOM, licences: tuple[str, ...], expected: list[dict[str, object]]
) -> None:
    package = replace(sbom.packages[0], licenses=licences)
    text = render(replace(sbom, packages=(package,)), Format.CYCLONEDX)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    component = json.loads(text)["components"][0]
    assert component["licenses"] == expected
    declared = [p["value"] for p in component["properties"] if p["name"].startswith("seawall:package:license:")]
    assert declared == (list(licences) if len(licences) > 1 else [])


def test_spdx_validates_against_the_2_3_schema_and_relationships_resolve(sbom: SBOM) -> None:
    document = json.loads(render(sbom, Format.SPDX))
    jsonschema.Draft201909Validator(json.loads(SPDX_SCHEMA.read_text())).validate(document)
    ids = [package["SPDXID"] for package in document["packages"]]
    assert len(ids) == len(set(ids))
    for relationship in document["relationships"]:
        assert relationship["spdxElementId"] in {*ids, "SPDXRef-DOCUMENT"}
        assert relationship["relatedSpdxElement"] in ids
    described = [r for r in document["relationships"] if r["relationshipType"] == "DESCRIBES"]
    assert described == [{"spdxElementId": "SPDXRef-DOCUMENT", "relatedSpdxElement": "SPDXRef-Image",
                          "relationshipType": "DESCRIBES"}]  # fmt: skip
    contained = [r for r in document["relationships"] if r["relationshipType"] == "CONTAINS"]
    assert len(contained) == len(sbom.packages) + 1
    libssl = next(p for p in document["packages"] if p["name"] == "libssl3")
    assert libssl["downloadLocation"] == "NOASSERTION"
    assert libssl["licenseDeclared"] == "Apache-2.0"
    assert libssl["externalRefs"] == [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=arm64&distro=debian-12&upstream=openssl",
        }
    ]
    zlib = next(p for p in document["packages"] if p["name"] == "zlib1g")
    assert zlib["licenseDeclared"] == "Zlib AND LicenseRef-GPL-2 AND BSD-3-Clause"
    assert {"licenseId": "LicenseRef-GPL-2", "extractedText": "GPL-2+", "name": "GPL-2+"} in document[
        "hasExtractedLicensingInfos"
    ]


def test_table_lists_packages_summary_per_type_and_unknowns(sbom: SBOM) -> None:
    text = render(sbom, Format.TABLE)
    assert "libssl3" in text and "openssl" in text
    assert "9 packages (binary: 1, deb: 3, go-module: 1, java-archive: 1, npm: 1, python: 2)" in text
    assert "2 unreadable files:" in text
    assert "/app/node_modules/bad/package.json: not JSON (npm)" in text


def test_unknown_format_name_is_refused(sbom: SBOM) -> None:
    with pytest.raises(ValueError):
        render_sbom(sbom, "sarif-but-not-yet")


# --- round trips --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [Format.CYCLONEDX, Format.SPDX, Format.JSON])
def test_round_trip_through_each_format_keeps_every_fact(tmp_path: Path, sbom: SBOM, fmt: Format) -> None:
    path = written(tmp_path, sbom, fmt)
    back = read_sbom_file(path)
    assert ordered(back.packages) == ordered(sbom.packages)
    assert back.distro == sbom.distro
    assert back.unknowns == sbom.unknowns
    assert back.image.transport == "sbom"
    assert back.image.source == f"sbom:{path}"
    original = sbom.image
    assert (back.image.ref, back.image.digest, back.image.index_digest) == (
        original.ref,
        original.digest,
        original.index_digest,
    )
    assert (back.image.platform, back.image.config_digest, back.image.layers) == (
        original.platform,
        original.config_digest,
        original.layers,
    )
    assert back.image.repo_digests == original.repo_digests
    assert back.image.created == original.created


def test_round_trip_without_distro_layers_or_digest(tmp_path: Path, sbom: SBOM) -> None:
    bare = replace(
        sbom,
        image=replace(sbom.image, ref=None, source="dir:/srv/rootfs", transport="dir", digest=None, layers=()),
        distro=None,
        unknowns=(),
    )
    for fmt in (Format.CYCLONEDX, Format.SPDX):
        back = read_sbom_file(written(tmp_path, bare, fmt, f"bare-{fmt}.json"))
        assert ordered(back.packages) == ordered(bare.packages)
        assert back.distro is None
        assert back.image.digest is None and back.image.layers == ()


# --- reading other tools' SBOMs ----------------------------------------------------------------------------------

DEBIAN_SOURCES = {
    "libssl3": ("openssl", "3.0.19-1~deb12u2"),
    "libc6": ("glibc", "2.36-9+deb12u14"),
    "bash": ("bash", "5.2.15-2"),
    "python3-yaml": ("pyyaml", "6.0-3"),
    "zlib1g": ("zlib", "1:1.2.13.dfsg-1"),
}
DEBIAN_IMAGE_FILES = [
    "syft-1.18.1-image.cdx.json",
    "syft-1.18.1-image.spdx.json",
    "trivy-0.59.1-image.cdx.json",
    "trivy-0.59.1-image.spdx.json",
]


@pytest.mark.parametrize("name", DEBIAN_IMAGE_FILES)
def test_real_syft_and_trivy_outputs_give_debian_packages_with_source_packages(name: str) -> None:
    sbom = read_sbom_file(ASSETS / name)
    assert sbom.image.transport == "sbom"
    assert sbom.image.source == f"sbom:{ASSETS / name}"
    assert sbom.distro is not None and sbom.distro.id == "debian"
    assert sbom.distro.namespace == "debian:12"
    debs = {p.name: p for p in sbom.packages if p.type == "deb"}
    assert set(debs) == {"base-files", "bash", "libc6", "libssl3", "openssl", "python3-yaml", "tzdata", "zlib1g"}
    for binary, source in DEBIAN_SOURCES.items():
        assert (debs[binary].source_name, debs[binary].source_version) == source, binary
    assert debs["zlib1g"].version == "1:1.2.13.dfsg-1"
    assert debs["libssl3"].arch == "amd64"
    languages = {(p.type, p.name, p.version) for p in sbom.packages if p.type != "deb"}
    assert {
        ("npm", "@babel/code-frame", "7.22.13"),
        ("npm", "lodash", "4.17.20"),
        ("python", "click", "8.5.1"),
        ("python", "idna", "3.20"),
    } <= languages
    assert any(kind == "go-module" and module == "stdlib" for kind, module, _ in languages)


def test_trivy_layer_diff_ids_and_image_id_are_kept() -> None:
    sbom = read_sbom_file(ASSETS / "trivy-0.59.1-image.cdx.json")
    base = "sha256:cdd4956f89b4bccc00ca0e621a871722aa4309f6ec716ccef9f541df47b009c3"
    app = "sha256:7ddff9fc9a93bfad4a49dea488608192768e276f8e6ed1d697c3face189a7a20"
    packages = {p.name: p for p in sbom.packages}
    assert packages["libssl3"].layer_diff_id == base
    assert packages["lodash"].layer_diff_id == app
    assert packages["lodash"].locations[0].path == "/app/node_modules/lodash/package.json"
    assert packages["libssl3"].found_by == "trivy:debian"
    assert sbom.image.config_digest == "sha256:00e3f190bcd6129b70c6b334613fc0fa8be79cae5fb1958d2343485a01d3d580"


def test_syft_locations_layers_and_ownership() -> None:
    cdx = read_sbom_file(ASSETS / "syft-1.18.1-image.cdx.json")
    packages = {p.name: p for p in cdx.packages}
    assert packages["libssl3"].found_by == "dpkg-db-cataloger"
    assert "/var/lib/dpkg/status" in [location.path for location in packages["libssl3"].locations]
    assert packages["lodash"].layer_diff_id == (
        "sha256:7ddff9fc9a93bfad4a49dea488608192768e276f8e6ed1d697c3face189a7a20"
    )
    assert cdx.image.digest == "sha256:ec3e36fa28d933242a2235967318496ad67620798a42ce4125812cb050ef8c52"
    assert packages["github.com/opencontainers/umoci"].type == "go-module"
    spdx = read_sbom_file(ASSETS / "syft-1.18.1-image.spdx.json")
    pyyaml = next(p for p in spdx.packages if p.name == "pyyaml")
    assert pyyaml.owned_by is not None and pyyaml.owned_by.startswith("pkg:deb/debian/python3-yaml@")


def test_syft_rootfs_maven_and_alpine() -> None:
    debian = read_sbom_file(ASSETS / "syft-1.18.1-rootfs-debian.cdx.json")
    log4j = next(p for p in debian.packages if p.type == "java-archive")
    assert (log4j.name, log4j.version) == ("org.apache.logging.log4j:log4j-core", "2.14.1")
    alpine = read_sbom_file(ASSETS / "syft-1.18.1-rootfs-alpine.cdx.json")
    assert alpine.distro is not None and alpine.distro.namespace == "alpine:3.19"
    apks = {p.name: p for p in alpine.packages if p.type == "apk"}
    assert (apks["libcrypto3"].source_name, apks["libcrypto3"].source_version) == ("openssl", "3.1.4-r5")
    assert apks["musl"].licenses == ("MIT",)


@pytest.mark.parametrize("name", ["trivy-0.59.1-rootfs-alpine.cdx.json", "trivy-0.59.1-rootfs-alpine.spdx.json"])
def test_trivy_alpine_rootfs(name: str) -> None:
    sbom = read_sbom_file(ASSETS / name)
    assert sbom.distro is not None and (sbom.distro.id, sbom.distro.version_id) == ("alpine", "3.19.1")
    apks = {p.name: p for p in sbom.packages}
    assert set(apks) == {"busybox", "libcrypto3", "libssl3", "musl", "py3-urllib3"}
    assert apks["libssl3"].source_name == "openssl"
    assert apks["busybox"].licenses == ("GPL-2.0-only",)


RPM_PURL = "pkg:rpm/redhat/rpm-libs@4.16.1.3-29.el9?arch=x86_64&epoch=1&upstream=rpm-4.16.1.3-29.el9.src.rpm"


def test_distro_from_purl_qualifier_when_no_os_component(tmp_path: Path) -> None:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            {
                "type": "library",
                "name": "libssl3",
                "version": "3.0.11-1~deb12u2",
                "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
            },
            {"type": "library", "name": "rpmlib", "version": "1:4.16.1.3-29.el9", "purl": RPM_PURL},
        ],
    }
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(document))
    sbom = read_sbom_file(path)
    assert sbom.distro is not None and sbom.distro.namespace == "debian:12"
    libssl, rpm = sbom.packages
    assert (libssl.source_name, libssl.source_version, libssl.found_by) == ("openssl", "3.0.11-1~deb12u2", "sbom")
    assert (rpm.name, rpm.version, rpm.epoch) == ("rpm-libs", "4.16.1.3-29.el9", 1)
    assert (rpm.source_name, rpm.source_version) == ("rpm", "4.16.1.3-29.el9")


# --- refusing bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"hello": "world"}', "not a CycloneDX, SPDX or seawall SBOM"),
        ('{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}', "SPDX 3"),
        ('{"spdxVersion": "SPDX-3.0"}', "SPDX version"),
        ('{"bomFormat": "CycloneDX"}', "without specVersion"),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library"}]}', "has no name"),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": "x"}', "not a list"),
        ('{"spdxVersion": "SPDX-2.3", "packages": [{"name": "x"}]}', "has no SPDXID"),
        ('{"schema": "https://seawall.dev/schema/sbom/v1", "schemaVersion": 7}', "schemaVersion 7"),
        ('{"schema": "https://seawall.dev/schema/sbom/v1", "schemaVersion": 1}', "malformed seawall SBOM"),
    ],
)
def test_bad_documents_give_one_line_errors_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_sbom_file(path)
    line = caught.value.one_line()
    assert message in line
    assert str(path) in line
    assert "\n" not in line


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_sbom_file(tmp_path / "absent.json")
    with pytest.raises(InputError, match="is a directory"):
        read_sbom_file(tmp_path)


def test_oversized_sbom_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sbom_input, "MAX_SBOM_BYTES", 1024)
    path = tmp_path / "huge.json"
    path.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}' + " " * 2048)
    with pytest.raises(InputError, match="more than"):
        read_sbom_file(path)


@pytest.mark.parametrize("name", sorted(path.name for path in ASSETS.glob("*.spdx.json")))
def test_committed_spdx_schema_accepts_real_syft_and_trivy_documents(name: str) -> None:
    validator = jsonschema.Draft201909Validator(json.loads(SPDX_SCHEMA.read_text()))
    validator.validate(json.loads((ASSETS / name).read_text()))


@pytest.mark.parametrize("name", ["trivy-0.59.1-image.cdx.json", "syft-1.18.1-image.spdx.json"])
def test_an_inventory_read_from_another_tool_can_be_written_again(name: str) -> None:
    sbom = read_sbom_file(ASSETS / name)
    cyclonedx = render(sbom, Format.CYCLONEDX)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cyclonedx) is None
    spdx = json.loads(render(sbom, Format.SPDX))
    jsonschema.Draft201909Validator(json.loads(SPDX_SCHEMA.read_text())).validate(spdx)
    assert "libssl3" in render(sbom, Format.TABLE)


@pytest.mark.parametrize("licence", ["MIT/X11", "https://example.org/licence.txt", "GPL-2+ with OpenSSL exception"])
def test_spdx_keeps_licences_that_are_not_spdx_expressions(sbom: SBOM, licence: str) -> None:
    odd = replace(sbom, packages=(replace(sbom.packages[0], licenses=(licence,)), *sbom.packages[1:]))
    document = json.loads(render_sbom(odd, Format.SPDX, now=NOW, serial=SERIAL))
    extracted = [item["extractedText"] for item in document.get("hasExtractedLicensingInfos", [])]
    assert licence in extracted


def test_seawall_json_round_trips_an_image_without_an_index(sbom: SBOM) -> None:
    single = replace(sbom, image=replace(sbom.image, index_digest=None, ref=None))
    text = render_sbom(single, Format.JSON, now=NOW, serial=SERIAL)
    path_free = json.loads(text)
    assert "index_digest" not in json.dumps(path_free["image"])
    from seawall.output.sbom_json import parse_json

    assert parse_json(path_free, "test").image == single.image
