"""apk: /lib/apk/db/installed records, origins, licences and file lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seawall.catalog.apk import ApkCataloger
from tests.catalog_helpers import catalog_folder, entries_from_files


def test_packages_with_origin_as_source() -> None:
    result = catalog_folder("alpine-3.19", ApkCataloger(), layer_index=0)
    packages = {p.name: p for p in result.packages}
    assert list(packages) == ["musl", "busybox", "busybox-binsh", "ca-certificates-bundle", "libcrypto3"]
    crypto = packages["libcrypto3"]
    assert (crypto.version, crypto.arch, crypto.source_name, crypto.source_version) == (
        "3.1.4-r5",
        "x86_64",
        "openssl",
        "3.1.4-r5",
    )
    assert crypto.type == "apk" and crypto.found_by == "apk" and crypto.purl is None
    assert crypto.locations[0].path == "/lib/apk/db/installed"
    assert packages["ca-certificates-bundle"].licenses == ("MPL-2.0 AND MIT",)
    assert packages["musl"].licenses == ("MIT",)
    assert result.unknowns == ()


def test_file_lists_join_directory_and_name() -> None:
    packages = {p.name: p for p in catalog_folder("alpine-3.19", ApkCataloger()).packages}
    assert "/lib/ld-musl-x86_64.so.1" in packages["musl"].files
    assert "/etc/ssl/certs/ca-certificates.crt" in packages["ca-certificates-bundle"].files
    assert "/usr/lib/engines-3/capi.so" in packages["libcrypto3"].files
    assert "/bin/sh" in packages["busybox-binsh"].files


def test_corrupt_record_is_an_unknown_and_the_rest_survive() -> None:
    text = (Path(__file__).parent / "assets/rootfs/alpine-3.19/lib/apk/db/installed").read_text()
    broken = text.replace("P:busybox\n", "this is not a field\n", 1)
    cataloger = ApkCataloger()
    result = cataloger.catalog(entries_from_files({"/lib/apk/db/installed": broken.encode()}, cataloger))
    assert "busybox" not in {p.name for p in result.packages}
    assert len(result.packages) == 4
    assert len(result.unknowns) == 1 and "not an `X:value` line" in result.unknowns[0].reason


def test_binary_garbage_is_an_unknown() -> None:
    cataloger = ApkCataloger()
    result = cataloger.catalog(entries_from_files({"/lib/apk/db/installed": b"\x00\xff" * 50}, cataloger))
    assert result.packages == () and len(result.unknowns) == 1


@pytest.mark.shared
@pytest.mark.parametrize(
    "name", ["alpine__3.14.8.json", "alpine__3.17.1.json", "nginx__alpine.json", "postgres__15.1-alpine3.17.json"]
)
def test_real_image_inventories(shared_data: Path, name: str) -> None:
    inventory = json.loads((shared_data / "repo-info-inventories" / name).read_text())
    records = []
    for entry in inventory["packages"]:
        origin = entry["name"].removesuffix("-binsh").removesuffix("-dev")
        records.append(
            f"C:Q1abc=\nP:{entry['name']}\nV:{entry['version']}\nA:x86_64\nS:1\nI:1\nT:t\nU:https://x\nL:MIT\n"
            f"o:{origin}\nm:M <m@example.org>\nt:1\nc:0\nF:usr/share/{entry['name']}\nR:README\na:0:0:644\nZ:Q1x="
        )
    cataloger = ApkCataloger()
    data = ("\n\n".join(records) + "\n\n").encode()
    result = cataloger.catalog(entries_from_files({"/lib/apk/db/installed": data}, cataloger))
    found = {(p.name, p.version, p.source_name, p.source_version) for p in result.packages}
    assert found == {
        (e["name"], e["version"], e["name"].removesuffix("-binsh").removesuffix("-dev"), e["version"])
        for e in inventory["packages"]
    }
    assert len(result.packages) == inventory["package_count"] and result.unknowns == ()
