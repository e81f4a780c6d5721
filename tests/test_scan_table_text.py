"""The plain-text scan table against its oracle, the same report laid out by rich (`render_table`)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from seawall.model.finding import ScanReport
from seawall.model.vuln import EpssScore, FeedProvenance, Severity
from seawall.output.scan import ScanView
from seawall.output.scan_redact import redacted
from seawall.output.scan_table import render_table
from seawall.output.scan_table_text import plain_table, render
from tests.scan_fixtures import debian_scan, empty_scan, uncovered_scan

VIEWS = (ScanView(), ScanView(show_suppressed=True), ScanView(ignore_unfixed=True, only_app=True),
         ScanView(include_distro_defaults=True, severities=frozenset({Severity.HIGH, Severity.CRITICAL})))


def vuln_only(report: ScanReport) -> ScanReport:
    return redacted(dataclasses.replace(report, secrets=None, config=None, minimality=None, scanners=("vuln",)))


def test_the_fixture_reports_are_laid_out_as_rich_does() -> None:
    for report in (vuln_only(debian_scan()), vuln_only(uncovered_scan()), vuln_only(empty_scan())):
        for view in VIEWS:
            for width in (100, 80, 120, 200):
                text = plain_table(report, view, width)
                assert text is not None
                assert text == render_table(report, view, width=width)


def test_secrets_configuration_and_minimality_are_laid_out_as_rich_does() -> None:
    full = redacted(debian_scan())
    assert full.secrets and full.config and full.minimality
    for report in (full, dataclasses.replace(full, scanners=("secret", "config"), findings=())):
        for view in VIEWS:
            for width in (100, 80, 120, 200):
                text = plain_table(report, view, width)
                assert text is not None
                assert text == render_table(report, view, width=width)


def test_anything_else_is_left_to_rich() -> None:
    full = redacted(debian_scan())
    assert plain_table(full, ScanView(), 30) is None  # rich would shrink the columns
    assert render(full, ScanView()) == render_table(full, ScanView(), width=100)
    odd = dataclasses.replace(full.secrets[0], path="/srv/café/.env")  # not one of the characters laid out here
    assert plain_table(dataclasses.replace(full, secrets=(odd,)), ScanView(), 100) is None
    report = vuln_only(debian_scan())
    wide = dataclasses.replace(report.findings[0], title="漢字のタイトル")  # two cells a character
    assert plain_table(dataclasses.replace(report, findings=(wide, *report.findings[1:])), ScanView(), 100) is None
    assert plain_table(report, ScanView(), 40) is None  # rich would shrink the columns


words = st.text(alphabet=st.sampled_from("abcxyz-_./:0123456789 ()…—"), min_size=0, max_size=40)
long_words = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=40),
                      max_size=8).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(width=st.integers(min_value=60, max_value=180), title=long_words | words, status_words=long_words,
       name=long_words, source=long_words, base=st.none() | long_words, epss=st.floats(0, 1),
       fixed=st.lists(st.text(alphabet="0123456789.:~+-abc", min_size=1, max_size=30), max_size=6),
       error=st.none() | long_words)
def test_generated_reports_are_laid_out_as_rich_does(width: int, title: str, status_words: str, name: str,
                                                     source: str, base: str | None, epss: float,
                                                     fixed: list[str], error: str | None) -> None:
    report = vuln_only(debian_scan())
    first = report.findings[0]
    package = dataclasses.replace(first.package, name=name or "x", created_by=status_words)
    changed = dataclasses.replace(first, title=title, package=package, fixed_versions=tuple(fixed),
                                  epss=EpssScore(epss, 0.5))
    feeds = (*report.feeds, FeedProvenance("extra", 1, "2024-06-01", "2024-06-01T00:00:00Z",
                                               "https://example.org", None, 10, 0, error=error))
    report = dataclasses.replace(report, findings=(changed, *report.findings[1:]), feeds=feeds,
                                 sbom=dataclasses.replace(report.sbom, image=dataclasses.replace(
                                     report.image, source=source or "img")), base_image=base,
                                 base_layers=2 if base else None)
    for view in VIEWS[:2]:
        text = plain_table(report, view, width)
        if text is not None:
            assert text == render_table(report, view, width=width)


def test_a_header_narrower_than_its_column_name_wraps_as_rich_wraps_it() -> None:
    report = redacted(debian_scan())
    long_id = dataclasses.replace(report.config[0], id="a-check-id-long-enough-to-squeeze-evidence")
    report = dataclasses.replace(report, config=(long_id, *report.config[1:]), secrets=None, findings=(),
                                 scanners=("config",))
    laid_out = 0
    for width in range(40, 80):
        text = plain_table(report, ScanView(), width)
        if text is not None:
            laid_out += 1
            assert text == render_table(report, ScanView(), width=width)
    assert laid_out  # EVIDENCE wraps in its header at some of these widths, and the plain layout handles it


@settings(max_examples=150, deadline=None)
@given(width=st.integers(min_value=40, max_value=180), path=long_words | words, match=words, rule=long_words,
       evidence=long_words | words, check_id=long_words, line=st.integers(0, 10**6),
       deleted=st.none() | st.integers(0, 9), shells=st.lists(words, max_size=3))
def test_generated_extra_sections_are_laid_out_as_rich_does(width: int, path: str, match: str, rule: str,
                                                            evidence: str, check_id: str, line: int,
                                                            deleted: int | None, shells: list[str]) -> None:
    report = redacted(debian_scan())
    secret = dataclasses.replace(report.secrets[-1], path=path, match=match, rule_id=rule or "r", line=line,
                                 deleted_in_layer=deleted)
    finding = dataclasses.replace(report.config[0], id=check_id or "c", evidence=evidence)
    assert report.minimality is not None
    minimality = dataclasses.replace(report.minimality, shells=tuple(shells))
    report = dataclasses.replace(report, secrets=(*report.secrets, secret), config=(finding, *report.config[1:]),
                                 minimality=minimality)
    for view in VIEWS[::3]:
        text = plain_table(report, view, width)
        if text is not None:
            assert text == render_table(report, view, width=width)
