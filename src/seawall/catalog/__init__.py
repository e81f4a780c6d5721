"""Filesystem to packages; one module per ecosystem. `CATALOGERS` is the ordered list the core runs."""

from __future__ import annotations

from seawall.catalog.apk import ApkCataloger
from seawall.catalog.dpkg import DpkgCataloger
from seawall.catalog.golang import GoBinaryCataloger
from seawall.catalog.interface import Cataloger
from seawall.catalog.java import JavaCataloger
from seawall.catalog.npm import NpmCataloger
from seawall.catalog.opkg import OpkgCataloger
from seawall.catalog.pecl import PeclCataloger
from seawall.catalog.php import ComposerCataloger
from seawall.catalog.python import PythonCataloger
from seawall.catalog.repos import RepositoryCataloger
from seawall.catalog.rpm import RpmCataloger
from seawall.catalog.rpm_manifest import RpmManifestCataloger
from seawall.catalog.ruby import GemCataloger

CATALOGERS: list[type[Cataloger]] = [
    DpkgCataloger,
    ApkCataloger,
    RpmCataloger,
    RpmManifestCataloger,
    OpkgCataloger,
    PythonCataloger,
    NpmCataloger,
    JavaCataloger,
    GoBinaryCataloger,
    GemCataloger,
    ComposerCataloger,
    PeclCataloger,
    RepositoryCataloger,
]
