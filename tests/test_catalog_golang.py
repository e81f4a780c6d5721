"""Go binaries: build info in the inline (Go >= 1.18) and pointer (Go < 1.18) formats, real binaries, bad input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from seawall.catalog.go_buildinfo import MAGIC, parse_modinfo, read_build_info
from seawall.catalog.golang import GoBinaryCataloger, stdlib_version
from tests.catalog_helpers import ASSETS, catalog_folder, entries_from_files, minimal_elf, real_entries
from tests.conftest import require_tool

START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
END = bytes.fromhex("f932433186182072008242104116d8f2")
MODINFO = (
    "path\texample.com/app/cmd/app\n"
    "mod\texample.com/app\tv1.4.0\th1:abc=\n"
    "dep\tgolang.org/x/net\tv0.17.0\th1:net=\n"
    "dep\tgithub.com/old/lib\tv1.0.0\th1:old=\n"
    "=>\tgithub.com/fork/lib\tv1.0.1\th1:fork=\n"
    "build\t-compiler=gc\n"
    "build\tvcs.revision=0123456789abcdef\n"
)


def go_version_m(text: str) -> dict[str, str]:
    """`go version -m` output → module path → version (replacements applied)."""
    modules: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines()[1:]:
        parts = line.strip().split("\t")
        if parts[0] in ("mod", "dep"):
            modules[parts[1]] = parts[2]
            last = parts[1]
        elif parts[0] == "=>" and last and len(parts) > 2 and parts[2] and parts[2] != "(devel)":
            del modules[last]
            modules[parts[1]] = parts[2]
    return modules


def legacy_elf(go_version: bytes, modinfo: bytes) -> bytes:
    """A Go < 1.18 binary: the header holds pointers to Go string headers in the data segment."""
    header = MAGIC + bytes([8, 0]) + struct.pack("<QQ", 0x402000, 0x402010)
    data = bytearray(0x300 + len(modinfo))
    data[0:32] = struct.pack("<QQQQ", 0x402100, len(go_version), 0x402200, len(modinfo))
    data[0x100 : 0x100 + len(go_version)] = go_version
    data[0x200 : 0x200 + len(modinfo)] = modinfo
    return minimal_elf([(".go.buildinfo", 0x401000, header + bytes(16)), (".data", 0x402000, bytes(data))])


def inline_elf(go_version: bytes, modinfo: bytes) -> bytes:
    def varint(n: int) -> bytes:
        out = bytearray()
        while n >= 0x80:
            out.append(n & 0x7F | 0x80)
            n >>= 7
        return bytes([*out, n])

    blob = MAGIC + bytes([8, 2]) + bytes(16) + varint(len(go_version)) + go_version + varint(len(modinfo)) + modinfo
    return minimal_elf([(".go.buildinfo", 0x401000, blob + bytes(16))])


def run(files: dict[str, bytes]):
    cataloger = GoBinaryCataloger()
    return cataloger.catalog(entries_from_files(files, cataloger, mode=0o100755))


def test_real_module_list_matches_go_version_m() -> None:
    result = catalog_folder("go-module", GoBinaryCataloger(), layer_index=4)
    expected = go_version_m((ASSETS / "go-module" / "go-version-m.txt").read_text())
    modules = {p.name: p.version for p in result.packages if p.name != "stdlib"}
    assert modules == expected
    assert len(modules) > 200
    main = next(p for p in result.packages if dict(p.metadata).get("main") == "true")
    assert (main.name, main.version, main.purl) == ("github.com/hashicorp/terraform", "(devel)", main.purl)
    assert main.purl == "pkg:golang/github.com/hashicorp/terraform"
    stdlib = next(p for p in result.packages if p.name == "stdlib")
    assert (stdlib.version, stdlib.purl) == ("1.23.3", "pkg:golang/stdlib@1.23.3")
    assert dict(stdlib.metadata)["go_toolchain"] == "go1.23.3"
    assert all(p.locations[0].path == "/usr/local/bin/terraform" and p.layer_index == 4 for p in result.packages)
    assert result.unknowns == ()


@pytest.mark.parametrize("build", [legacy_elf, inline_elf])
def test_both_build_info_formats(build) -> None:
    result = run({"/usr/bin/app": build(b"go1.16.15", START + MODINFO.encode() + END)})
    found = {p.name: p for p in result.packages}
    assert {n: p.version for n, p in found.items()} == {
        "example.com/app": "v1.4.0",
        "golang.org/x/net": "v0.17.0",
        "github.com/fork/lib": "v1.0.1",
        "stdlib": "1.16.15",
    }
    assert found["golang.org/x/net"].purl == "pkg:golang/golang.org/x/net@v0.17.0"
    assert dict(found["github.com/fork/lib"].metadata)["replaces"] == "github.com/old/lib@v1.0.0"
    assert "vcs.revision=0123456789abcdef" in dict(found["example.com/app"].metadata)["build"]


@pytest.mark.parametrize("tool", ["docker-registry", "skopeo", "umoci"])
def test_debian_built_go_programs(tool: str) -> None:
    path = Path(require_tool(tool))
    result = GoBinaryCataloger().catalog(real_entries([path]))
    assert result.unknowns == ()
    stdlib = [p for p in result.packages if p.name == "stdlib"]
    assert len(stdlib) == 1 and stdlib[0].version.count(".") == 2
    # Debian builds in GOPATH mode: the main package path is known, there is no module list.
    assert dict(stdlib[0].metadata)["main_package"].startswith("github.com/")


def test_non_go_executables_yield_nothing() -> None:
    ls = Path("/bin/ls").read_bytes()
    result = run({"/bin/ls": ls, "/usr/bin/script.sh": b"#!/bin/sh\necho hi\n" * 10000})
    assert result.packages == () and result.unknowns == ()


def test_truncated_elf_yields_nothing() -> None:
    result = run({"/bin/cut": Path("/bin/ls").read_bytes()[:70000]})
    assert result.packages == () and result.unknowns == ()


def test_corrupt_build_info_is_an_unknown() -> None:
    good = legacy_elf(b"go1.16.15", START + MODINFO.encode() + END)
    broken = good.replace(struct.pack("<QQ", 0x402000, 0x402010), struct.pack("<QQ", 0x9000000, 0x402010), 1)
    truncated_inline = minimal_elf([(".go.buildinfo", 0x401000, MAGIC + bytes([8, 2]) + bytes(16) + b"\xff\x7f")])
    result = run({"/usr/bin/a": broken, "/usr/bin/b": truncated_inline})
    assert result.packages == ()
    assert [u.path for u in result.unknowns] == ["/usr/bin/a", "/usr/bin/b"]
    assert all(u.reason.startswith("corrupt Go build info") for u in result.unknowns)


def test_wants_only_sizable_executables() -> None:
    cataloger = GoBinaryCataloger()
    assert cataloger.wants("/usr/bin/app", 0o100755, 2_000_000)
    assert not cataloger.wants("/usr/share/doc/app", 0o100644, 2_000_000)
    assert not cataloger.wants("/usr/bin/tiny", 0o100755, 100)


def test_stdlib_versions_and_modinfo_parsing() -> None:
    assert stdlib_version("go1.21.5") == "1.21.5"
    assert stdlib_version("go1.19.8 X:boringcrypto") == "1.19.8"
    assert stdlib_version("go1.22rc1") == "1.22.0-rc1"
    assert stdlib_version("devel +abc") is None
    info = parse_modinfo("go1.21.0", MODINFO)
    assert info.path == "example.com/app/cmd/app" and len(info.deps) == 2
    assert read_build_info(__import__("io").BytesIO(b"not an elf")) is None


def _main_of(modinfo: str):
    result = run({"/usr/bin/app": inline_elf(b"go1.22.1", START + modinfo.encode() + END)})
    return next(p for p in result.packages if dict(p.metadata).get("main") == "true")


DEVEL_MODINFO = "path\tgithub.com/acme/tool/cmd/tool\nmod\tgithub.com/acme/tool\t(devel)\t\n"


@pytest.mark.parametrize(
    ("ldflags", "version"),
    [
        ('"-s -w -X main.version=1.4.2"', "v1.4.2"),
        ('"-X github.com/acme/tool/internal/build.Version=v2.0.0-rc.1 -X main.commit=abc"', "v2.0.0-rc.1"),
        ('"-X main.gitTag=v0.9.3"', "v0.9.3"),
        ('"-X main.buildVersion=refs/tags/3.1.0"', "v3.1.0"),
    ],
)
def test_devel_main_module_takes_the_version_from_ldflags(ldflags: str, version: str) -> None:
    main = _main_of(DEVEL_MODINFO + f"build\t-ldflags={ldflags}\n")
    assert (main.name, main.version) == ("github.com/acme/tool", version)
    assert main.purl == f"pkg:golang/github.com/acme/tool@{version}"
    assert dict(main.metadata)["version_from"] == "ldflags"


def test_devel_main_module_falls_back_to_a_vcs_pseudo_version() -> None:
    modinfo = DEVEL_MODINFO + ("build\t-ldflags=\"-X other.module/pkg.Version=9.9.9\"\n"
                               "build\tvcs=git\nbuild\tvcs.revision=0123456789abcdef0123\n"
                               "build\tvcs.time=2024-03-05T10:11:12Z\n")
    main = _main_of(modinfo)
    assert main.version == "v0.0.0-20240305101112-0123456789ab"
    assert dict(main.metadata)["version_from"] == "vcs"


def test_devel_main_module_without_any_clue_stays_unknown() -> None:
    main = _main_of(DEVEL_MODINFO + "build\t-ldflags=\"-s -w\"\nbuild\tCGO_ENABLED=0\n")
    assert main.version == "(devel)" and main.purl == "pkg:golang/github.com/acme/tool"
    assert "version_from" not in dict(main.metadata)
