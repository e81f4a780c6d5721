"""Minimality: sizes, package count and the tools the final filesystem still carries."""

from __future__ import annotations

from pathlib import Path

from seawall.config_checks import FsFactsAnalyzer
from seawall.image.open import open_source
from seawall.image.options import FetchOptions
from seawall.inventory.build import build_inventory
from seawall.minimality import minimality
from seawall.model.extra import Minimality
from tests.imagebuild import Dir, File, Symlink, Whiteout, build_oci_layout

STATUS = b"""Package: dash
Status: install ok installed
Architecture: amd64
Version: 0.5.12-2
Maintainer: Debian <d@example.org>
Description: x
"""


def measure(layout: Path, cache: Path) -> Minimality:
    with open_source(f"oci:{layout}:latest", fetch=FetchOptions(cache_dir=cache)) as source:
        return minimality(build_inventory(source, analyzers=[FsFactsAnalyzer()], cache_dir=cache))


def test_tools_sizes_and_packages_of_the_final_view(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", layers=[
        {"/etc/os-release": b"ID=debian\nVERSION_ID=12\n", "/var/lib/dpkg/status": STATUS,
         "/bin": Symlink("usr/bin"), "/usr/bin": Dir(), "/usr/bin/dash": File(b"\x7fELF", mode=0o755),
         "/usr/bin/sh": Symlink("dash"), "/usr/bin/apt-get": File(b"\x7fELF", mode=0o755),
         "/usr/bin/dpkg": File(b"\x7fELF", mode=0o755), "/usr/share/doc/gcc": Dir()},
        {"/usr/bin/gcc-12": File(b"\x7fELF", mode=0o755), "/usr/bin/gcc": Symlink("gcc-12"),
         "/usr/local/go/bin/go": File(b"\x7fELF", mode=0o755),
         "/usr/local/bin/pip3.11": File(b"#!/usr/bin/python3\n", mode=0o755)},
        {"/usr/bin/gcc-12": Whiteout(), "/usr/bin/gcc": Whiteout()},
    ])
    found = measure(layout, tmp_path / "cache")
    assert found.shells == ("/usr/bin/dash", "/usr/bin/sh")
    assert found.package_managers == ("/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/local/bin/pip3.11")
    assert found.compilers == ("/usr/local/go/bin/go",)  # gcc was removed by the last layer
    assert found.has_shell and found.has_package_manager and found.has_compiler
    assert found.layers == 3 and found.packages == 1 and found.files == 8
    assert 0 < found.compressed_size < found.uncompressed_size


def test_an_image_without_shell_or_tools(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", layers=[{"/app/server": File(b"\x7fELF", mode=0o755)}])
    found = measure(layout, tmp_path / "cache")
    assert not (found.has_shell or found.has_package_manager or found.has_compiler)
    assert found.packages == 0 and found.files == 1
