"""One verdict for scanning and for `compare`: every case under cases/ is judged twice — by `judge` (what `compare`
calls) and by a scan of a one-package SBOM against a DB built from the same advisory through the DB builder — and
both must give the expected answer.

Each case is a few lines of YAML: the target (advisory namespace, searched name, installed version), the
advisory (status, OSV-style ranges as [type, [[event, version]…]], explicit versions, fixed versions) and the
expected verdict (affected, installed version unknown, range unparseable, constraint).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds.interface import Feed, FetchResult, Record, Workspace
from seawall.match.matcher import judge, raw_matches
from seawall.match.targets import Target, target_for
from seawall.model.finding import MatchDetail
from seawall.model.image import Image, Platform
from seawall.model.sbom import SBOM, Distro, Package
from seawall.model.vuln import Advisory, AffectedRange, RangeEvent, Status

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
# Advisory namespace → how an image of it looks to the matcher: its distribution and package type.
IMAGES = {
    "debian:12": (Distro(id="debian", version_id="12", codename="bookworm"), "deb"),
    "alpine:3.19": (Distro(id="alpine", version_id="3.19.1"), "apk"),
    "pypi": (None, "python"),
    "npm": (None, "npm"),
    "maven": (None, "java-archive"),
    "go": (None, "go-module"),
}
IMAGE = Image(source="sbom:verdict-cases", transport="sbom", ref=None, digest=None, index_digest=None,
              platform=Platform("linux", "amd64"), manifest_media_type=None, config_digest=None)


@dataclass(frozen=True)
class Case:
    name: str
    package: Package
    distro: Distro | None
    advisory: Advisory
    affected: bool
    unknown: bool
    unparseable: bool
    constraint: str | None

    @property
    def target(self) -> Target:
        target = target_for(self.package, self.distro)
        assert target is not None
        return target


def load(path: Path) -> Case:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    spec, adv, expect = doc["target"], doc["advisory"], doc["expect"]
    distro, package_type = IMAGES[spec["namespace"]]
    package = Package(name=spec["name"], version=str(spec["version"]), type=package_type, found_by="verdict-cases")
    advisory = Advisory(
        id=f"CVE-2099-{path.stem}", namespace=spec["namespace"], package=spec["name"], status=Status(adv["status"]),
        feed="cases",
        ranges=tuple(AffectedRange(kind, tuple(RangeEvent(e, str(v)) for e, v in events))
                     for kind, events in adv.get("ranges", ())),
        versions=tuple(str(v) for v in adv.get("versions", ())),
        fixed_versions=tuple(str(v) for v in adv.get("fixed_versions", ())))
    return Case(path.stem, package, distro, advisory, bool(expect["affected"]), bool(expect.get("unknown", False)),
                bool(expect.get("unparseable", False)), expect.get("constraint"))


ALL = [load(path) for path in CASES]


class CasesFeed(Feed):
    """The advisories of every case, through the same DB builder a real feed goes through."""

    name: ClassVar[str] = "cases"
    version: ClassVar[int] = 1
    default: ClassVar[bool] = False
    config_type: ClassVar[type] = dict

    def fetch(self, ws: Workspace) -> FetchResult:
        ws.write_manifest([])  # nothing to download: the records are in this module
        return FetchResult(changed=True, source="tests/match/cases")

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for case in ALL:
            yield case.advisory


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VulnStore]:
    db = tmp_path_factory.mktemp("db") / "seawall.db"
    report = update_db(db, [CasesFeed()])
    assert report.installed, report
    with VulnStore.open(db) as opened:
        yield opened


def check(case: Case, detail: MatchDetail) -> None:
    assert detail.version_unknown is case.unknown and detail.range_unparseable is case.unparseable
    constraint = detail.constraint
    if case.constraint is not None:
        assert constraint == case.constraint


def test_the_cases_cover_every_status_and_range_shape() -> None:
    assert {c.advisory.status for c in ALL} == set(Status)
    kinds = {e.kind for c in ALL for r in c.advisory.ranges for e in r.events}
    assert kinds == {"introduced", "fixed", "last_affected", "limit"}
    assert any(c.advisory.versions and not c.advisory.ranges for c in ALL)  # explicit versions only
    assert any(not c.advisory.ranges and not c.advisory.versions and not c.advisory.fixed_versions for c in ALL)
    assert any(c.unknown for c in ALL) and any(c.unparseable for c in ALL)  # versions that do not parse


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_compare_verdict(case: Case) -> None:
    detail = judge(case.target, case.advisory)
    assert (detail is not None) is case.affected
    if detail is not None:
        check(case, detail)


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_scan_verdict(case: Case, store: VulnStore) -> None:
    sbom = SBOM(image=IMAGE, distro=case.distro, packages=(case.package,))
    matches = [m for m in raw_matches(sbom, store) if m.advisory.id == case.advisory.id]
    assert bool(matches) is case.affected
    if matches:
        (match,) = matches
        check(case, match.detail)
        assert match.detail == judge(case.target, match.advisory)  # the same detail, field for field
