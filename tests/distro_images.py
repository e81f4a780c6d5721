"""Test images of each distribution with real package databases: rpm databases written by `rpm --initdb` and
`rpm -i` of tiny rpms built with `rpmbuild`, a dpkg status file, an apk `installed` file."""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import require_tool
from tests.imagebuild import Dir, build_oci_layout


@dataclass(frozen=True)
class Rpm:
    """One source rpm's build: `name` is the source (spec) name; `binaries` the subpackages installed from it."""

    name: str
    epoch: int
    version: str
    release: str
    # "": the main package; "libs": <name>-libs; "-n libopenssl3": a name of its own (default: the main package only)
    binaries: tuple[str, ...] = ()
    vendor: str = ""

    def spec(self) -> str:
        subs = self.binaries or ("",)
        head = textwrap.dedent(f"""\
            Name: {self.name}
            Epoch: {self.epoch}
            Version: {self.version}
            Release: {self.release}
            Summary: {self.name}
            License: MIT
            BuildArch: noarch
            """) + (f"Vendor: {self.vendor}\n" if self.vendor else "")
        body = f"%description\n{self.name}\n"
        for sub in subs:
            if sub:
                body += f"%package {sub}\nSummary: {self._label(sub)}\n%description {sub}\n{self._label(sub)}\n"
        body += "%install\n"
        for sub in subs:
            label = self._label(sub)
            body += (f"mkdir -p %{{buildroot}}/usr/share/{label}\n"
                     f"echo {label} > %{{buildroot}}/usr/share/{label}/README\n")
        for sub in subs:
            label = self._label(sub)
            body += (f"%files {sub}\n" if sub else "%files\n") + f"/usr/share/{label}/README\n"
        return head + body

    def _label(self, sub: str) -> str:
        if sub.startswith("-n "):
            return sub[3:]
        return f"{self.name}-{sub}" if sub else self.name


def rpm_image(work: Path, os_release: str, rpms: tuple[Rpm, ...], *, release_file: tuple[str, str] | None = None
              ) -> Path:
    """An OCI layout whose one layer is a root with an rpm database holding `rpms`, and /etc/os-release."""
    rpmbuild, rpm = require_tool("rpmbuild"), require_tool("rpm")
    root, top = work / "root", work / "top"
    work.mkdir(parents=True, exist_ok=True)
    for package in rpms:
        spec = work / f"{package.name}.spec"
        spec.write_text(package.spec())
        subprocess.run([rpmbuild, "--quiet", "--define", f"_topdir {top}", "-bb", str(spec)], check=True,
                       capture_output=True)
    (root / "var" / "lib" / "rpm").mkdir(parents=True)
    subprocess.run([rpm, "--root", str(root), "--dbpath", "/var/lib/rpm", "--initdb"], check=True)
    subprocess.run([rpm, "--root", str(root), "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--ignoreos",
                    "--noscripts", *sorted(str(p) for p in (top / "RPMS").rglob("*.rpm"))], check=True)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "os-release").write_text(os_release)
    if release_file:
        (root / release_file[0].lstrip("/")).write_text(release_file[1])
    return build_oci_layout(work / "oci", [root], history=["ADD rpmdb.tar /"])


def dpkg_image(work: Path, os_release: str, packages: tuple[tuple[str, str, str, str], ...]) -> Path:
    """(binary, source, version, source version) rows as a dpkg status file."""
    paragraphs = []
    for name, source, version, source_version in packages:
        src = source + (f" ({source_version})" if source_version != version else "")
        paragraphs.append(f"Package: {name}\nStatus: install ok installed\nMaintainer: Ubuntu Developers\n"
                          f"Architecture: amd64\nSource: {src}\nVersion: {version}\n")
    return build_oci_layout(work / "oci", [{
        "/etc": Dir(), "/etc/os-release": os_release.encode(),
        "/var/lib/dpkg": Dir(), "/var/lib/dpkg/status": "\n".join(paragraphs).encode()}])


def apk_image(work: Path, os_release: str, packages: tuple[tuple[str, str, str], ...]) -> Path:
    """(package, origin, version) rows as an apk `installed` database."""
    entries = [f"C:Q1{'A' * 27}=\nP:{name}\nV:{version}\nA:x86_64\nS:1000\nI:4096\nT:{name}\nU:https://wolfi.dev\n"
               f"L:MIT\no:{origin}\nm:Wolfi\nt:1700000000\nc:0000000000000000000000000000000000000000\n"
               for name, origin, version in packages]
    return build_oci_layout(work / "oci", [{
        "/etc": Dir(), "/etc/os-release": os_release.encode(),
        "/lib": Dir(), "/lib/apk": Dir(), "/lib/apk/db": Dir(),
        "/lib/apk/db/installed": "\n".join(entries).encode()}])
