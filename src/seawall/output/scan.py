"""Scan reports in every format CI tools read; `ScanView` is what the user asked to see of the findings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from seawall.formats import SCAN_ENCODERS, Format
from seawall.model.finding import Finding, ScanReport
from seawall.model.vuln import Severity


@dataclass(frozen=True)
class ScanView:
    """What the user asked to see of a scan's findings: severities, fixable only, app layers only, suppressed ones."""

    severities: frozenset[Severity] | None = None  # None: all
    ignore_unfixed: bool = False
    only_app: bool = False
    show_suppressed: bool = False
    include_distro_defaults: bool = False  # config findings for files exactly as their package ships them

    def shows(self, finding: Finding) -> bool:
        if finding.suppressed and not self.show_suppressed:
            return False
        if self.severities is not None and finding.severity not in self.severities:
            return False
        if self.ignore_unfixed and not finding.fix_available:
            return False
        return not (self.only_app and finding.in_base_image)

    def visible(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        return (f for f in findings if self.shows(f))


# format → module under seawall.output with a `render(report, view) -> str`
SCAN_RENDERERS = SCAN_ENCODERS


def render_scan(report: ScanReport, fmt: Format | str, view: ScanView | None = None) -> str:
    """The report in `fmt`; a secret found in the image config is blanked out wherever the config is copied."""
    import importlib

    from seawall.output.scan_redact import redacted

    module = importlib.import_module(f"seawall.output.{SCAN_RENDERERS[Format(fmt)]}")
    return module.render(redacted(report), view or ScanView())
