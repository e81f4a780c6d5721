"""A small inventory that uses every field of the model, for the SBOM encoders' golden files and round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from seawall.model.image import Image, ImageRef, Layer, Platform
from seawall.model.sbom import SBOM, Distro, Location, Package, Unknown

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SERIAL = UUID("3f2b8c1e-5d4a-4e6b-9c7d-0a1b2c3d4e5f")

OPENSSL_TEAM = "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>"
BASE = Layer(
    index=0,
    digest="sha256:" + "a1" * 32,
    diff_id="sha256:" + "b1" * 32,
    size=29_150_000,
    media_type="application/vnd.oci.image.layer.v1.tar+gzip",
    created_by="/bin/sh -c #(nop) ADD file:5f6ee2d1b4f3 in / ",
    created="2024-04-23T00:00:00Z",
)
APP = Layer(
    index=1,
    digest="sha256:" + "a2" * 32,
    diff_id="sha256:" + "b2" * 32,
    size=4_200_000,
    media_type="application/vnd.oci.image.layer.v1.tar+gzip",
    created_by="RUN /bin/sh -c pip install requests==2.31.0 && npm install lodash # buildkit",
)


def sample_sbom() -> SBOM:
    image = Image(
        source="registry.example.com/shop/app:1.4",
        transport="registry",
        ref=ImageRef("registry.example.com", "shop/app", tag="1.4", digest=None),
        digest="sha256:" + "c3" * 32,
        index_digest="sha256:" + "d4" * 32,
        platform=Platform("linux", "arm64", "v8"),
        manifest_media_type="application/vnd.oci.image.manifest.v1+json",
        config_digest="sha256:" + "e5" * 32,
        config={"created": "2024-04-30T10:00:00Z", "architecture": "arm64", "os": "linux"},
        layers=(BASE, APP),
        repo_digests=("registry.example.com/shop/app@sha256:" + "c3" * 32,),
    )
    distro = Distro(
        id="debian",
        version_id="12",
        codename="bookworm",
        name="Debian GNU/Linux",
        pretty_name="Debian GNU/Linux 12 (bookworm)",
        eol=False,
        eol_date="2026-06-10",
    )
    status = Location("/var/lib/dpkg/status", 0, BASE.diff_id)

    def deb(name: str, version: str, source: str, source_version: str, **extra: object) -> Package:
        return Package(
            name=name,
            version=version,
            type="deb",
            found_by="dpkg",
            purl=f"pkg:deb/debian/{name}@{version.replace(':', '%3A').replace('+', '%2B')}?arch=arm64&distro=debian-12"
            + (f"&upstream={source}" if source != name else ""),
            locations=(status,),
            arch="arm64",
            source_name=source,
            source_version=source_version,
            maintainer=OPENSSL_TEAM if source == "openssl" else None,
            layer_index=0,
            layer_diff_id=BASE.diff_id,
            created_by=BASE.created_by,
            files=("/usr/lib/aarch64-linux-gnu/libssl.so.3",) if name == "libssl3" else (),
            **extra,  # type: ignore[arg-type]
        )

    requests_path = "/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO"
    packages = (
        deb("libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2", licenses=("Apache-2.0",)),
        deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1", licenses=("Zlib", "GPL-2+", "BSD-3-Clause")),
        deb("python3-requests", "2.28.1+dfsg-1", "requests", "2.28.1+dfsg-1"),
        Package(
            name="requests",
            version="2.28.1",
            type="python",
            found_by="python",
            purl="pkg:pypi/requests@2.28.1",
            locations=(Location(requests_path, 0, BASE.diff_id),),
            licenses=("Apache 2.0",),
            layer_index=0,
            layer_diff_id=BASE.diff_id,
            created_by=BASE.created_by,
            owned_by="pkg:deb/debian/python3-requests@2.28.1%2Bdfsg-1?arch=arm64&distro=debian-12&upstream=requests",
        ),
        Package(
            name="requests",
            version="2.31.0",
            type="python",
            found_by="python",
            purl="pkg:pypi/requests@2.31.0",
            locations=(
                Location("/usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", 1, APP.diff_id),
            ),
            licenses=("Apache-2.0",),
            layer_index=1,
            layer_diff_id=APP.diff_id,
            created_by=APP.created_by,
        ),
        Package(
            name="@babel/code-frame",
            version="7.22.13",
            type="npm",
            found_by="npm",
            purl="pkg:npm/%40babel/code-frame@7.22.13",
            locations=(Location("/app/node_modules/@babel/code-frame/package.json", 1, APP.diff_id),),
            licenses=("MIT",),
            layer_index=1,
            layer_diff_id=APP.diff_id,
            created_by=APP.created_by,
        ),
        Package(
            name="golang.org/x/net",
            version="v0.17.0",
            type="go-module",
            found_by="golang",
            purl="pkg:golang/golang.org/x/net@v0.17.0",
            locations=(Location("/usr/local/bin/app", 1, APP.diff_id),),
            layer_index=1,
            layer_diff_id=APP.diff_id,
            created_by=APP.created_by,
            metadata=(("goToolchain", "go1.21.3"), ("mainModule", "example.com/app")),
        ),
        Package(
            name="org.apache.logging.log4j:log4j-core",
            version="2.14.1",
            type="java-archive",
            found_by="java",
            purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            locations=(Location("/opt/app/lib/log4j-core-2.14.1.jar", 1, APP.diff_id),),
            licenses=("Apache-2.0 OR MIT",),
            layer_index=1,
            layer_diff_id=APP.diff_id,
        ),
        Package(
            name="app-helper",
            version="0.3",
            type="binary",
            found_by="binary",
            locations=(Location("/usr/local/bin/app-helper", 1, APP.diff_id), Location("/opt/app/bin/app-helper")),
            epoch=2,
        ),
    )
    unknowns = (
        Unknown("/app/node_modules/bad/package.json", "not JSON", "npm"),
        Unknown("/var/lib/dpkg/status.d/broken", "malformed control paragraph at line 3", "dpkg", 0),
    )
    return SBOM(image=image, distro=distro, packages=packages, unknowns=unknowns)
