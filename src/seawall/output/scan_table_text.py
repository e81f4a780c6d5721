"""`render` for `--format table` into a file or pipe: the vulnerability report as plain text, without loading rich.

Loading rich and laying the tables out through it was a quarter of a warm vulnerability scan. For the common report
(text in printable ASCII and the few marks the table itself writes) this module lays out the same text
`scan_table.render_table` gets from rich: the same word wrapping and folding (rich's `divide_line`), the same column
widths (fixed columns, the title taking the rest), the same ellipses; `scan_extra_text` does the same for the
secrets, configuration and minimality section. The tests hold both to rich's output. Anything else (other
characters, columns that do not fit) goes to rich.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from seawall.model.finding import Finding, ScanReport
from seawall.model.sbom import Package
from seawall.output.scan import ScanView
from seawall.output.scan_text import (
    SEVERITY_ORDER,
    Summary,
    by_package,
    coverage_notes,
    coverage_statement,
    created_by_short,
    no_findings_line,
    severity_hint,
    severity_rank,
    shorten,
    status_text,
)
from seawall.output.text_layout import Unsupported, cell, check, truncate, wrapped

WIDTH = 100
STATUS_WIDTH = 26
UNCOMPARABLE = "†"
UNDECIDABLE = "‡"
class Widths(NamedTuple):
    """Column widths shared by every package's block, so the blocks line up as one table."""

    id: int
    severity: int
    status: int

    @classmethod
    def of(cls, findings: list[Finding]) -> Widths:
        return cls(
            id=max((len(f.id) for f in findings), default=2),
            severity=max((len(severity_label(f)) for f in findings), default=8),
            status=min(max((len(status_label(f)) for f in findings), default=6), STATUS_WIDTH),
        )


def severity_label(finding: Finding) -> str:
    hint = severity_hint(finding)
    return f"{finding.severity.value} ({hint})" if hint and hint != "unrated" else finding.severity.value


def status_label(finding: Finding) -> str:
    if finding.suppressed:
        return f"suppressed ({finding.suppressions[0].kind})"
    return (status_text(finding) + (f" {UNCOMPARABLE}" if finding.version_unknown else "")
            + (f" {UNDECIDABLE}" if finding.range_unparseable else ""))


def render(report: ScanReport, view: ScanView) -> str:
    from seawall.output.width import output_width

    width = output_width(WIDTH)
    text = plain_table(report, view, width)
    if text is None:
        from seawall.output.scan_table import render_table

        return render_table(report, view, width=width)
    return text


def plain_table(report: ScanReport, view: ScanView, width: int = WIDTH) -> str | None:
    """The table as `scan_table.render_table(report, view, width=width)` writes it, or None where only rich can."""
    from seawall.output.scan_extra_text import extra_lines

    try:
        lines = _lines(report, view, width) if report.vuln_scanned else wrapped(_heading(report), width)
        lines += extra_lines(report, view, width)
    except Unsupported:
        return None
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _lines(report: ScanReport, view: ScanView, width: int) -> list[str]:
    lines = wrapped(_heading(report), width)
    shown = list(view.visible(report.findings))
    groups = by_package(shown)
    groups.sort(key=lambda group: (min(severity_rank(f.severity) for f in group[1]), group[0].name))
    widths = Widths.of(shown)
    for package, findings in groups:
        line = check(_package_line(package))
        if "\n" in line:
            raise Unsupported
        lines += ["", truncate(line, width, ellipsis=True), *_findings_table(findings, widths, width)]
    statement = coverage_statement(report)
    if not groups:
        line = no_findings_line(report)
        if statement:
            line += " " + statement
            statement = ""
        lines += wrapped(line, width)
    if any(finding.version_unknown for finding in shown):
        lines += wrapped(f"{UNCOMPARABLE} the installed version could not be compared; reported as affected", width)
    if any(finding.range_unparseable for finding in shown):
        lines += wrapped(f"{UNDECIDABLE} range unparseable: a bound of the advisory does not parse; reported as "
                          "affected", width)
    lines.append("")
    lines += wrapped(_summary_line(Summary.of(report, view, shown)), width)
    if statement:
        lines += wrapped(statement, width)
    for note in coverage_notes(report):
        lines += wrapped(note, width)
    for line in _db_lines(report):
        lines += wrapped(line, width)
    return lines


def _heading(report: ScanReport) -> str:
    image = report.image
    text = image.source
    if image.digest:
        text += f" ({image.digest[:19]}…)"
    distro = report.sbom.distro
    if distro is not None:
        text += " — " + (distro.pretty_name or distro.namespace)
        if distro.eol:
            text += f" — end of life{' since ' + distro.eol_date if distro.eol_date else ''}"
    if report.base_image:
        layers = "" if report.base_layers is None else f", {report.base_layers} layers"
        text += f"\nbase image: {report.base_image}{layers}"
    return text


def _package_line(package: Package) -> str:
    text = f"{package.name} {package.version}  ({package.type}"
    if package.source_name and package.source_name != package.name:
        text += f", source {package.source_name}"
    text += ")"
    if package.layer_index is not None:
        text += f"  layer {package.layer_index}"
        if package.created_by:
            text += ": " + created_by_short(package.created_by, 56)
    elif package.locations:
        text += f"  {package.locations[0].path}"
    return text


def _findings_table(findings: list[Finding], widths: Widths, width: int) -> list[str]:
    # Columns as scan_table._findings_table declares them: (content width, wraps, right-justified).
    fixed = [max(widths.id, 2), max(widths.severity, 8), max(widths.status, 6), 3, 5]
    # Padding: one cell each side, none on the outer edges; the title (ratio 1) takes what is left of `width`.
    title_width = width - (fixed[0] + 1) - sum(w + 2 for w in fixed[1:]) - 1
    if title_width < 1:
        raise Unsupported  # rich would shrink the columns
    columns = [*fixed, title_width]
    rows = [["ID", "SEVERITY", "STATUS", "KEV", "EPSS", "TITLE"]]
    for finding in findings:
        title = finding.suppressions[0].reason if finding.suppressed else finding.title or finding.description
        rows.append([finding.id, severity_label(finding), status_label(finding), "KEV" if finding.kev else "",
                     f"{finding.epss.score:.1%}" if finding.epss else "", shorten(title, 200)])
    out: list[str] = []
    for row in rows:
        cells = [cell(text, columns[index], wrap=index == 2, right=index == 4) for index, text in enumerate(row)]
        height = max(len(cell) for cell in cells)
        for number in range(height):
            # A column's right padding and the next one's left padding: two blanks between contents.
            out.append("  ".join(cell[number] if number < len(cell) else " " * columns[index]
                                 for index, cell in enumerate(cells)))
    return out


def _summary_line(summary: Summary) -> str:
    text = f"{summary.shown} finding{'' if summary.shown == 1 else 's'}"
    counts = [(severity, count) for severity in SEVERITY_ORDER if (count := summary.by_severity[severity])]
    if counts:
        text += ": " + ", ".join(f"{severity.value} {count}" for severity, count in counts)
    text += f" · fixable {summary.fixable} · KEV {summary.kev} · suppressed {summary.suppressed}"
    if summary.hidden:
        text += f" · {summary.hidden} hidden by filters"
    return text


def _db_lines(report: ScanReport) -> list[str]:
    built = "DB " + (f"built {report.db_built_at}{age(report.db_built_at, report.scanned_at)}"
                     if report.db_built_at else "build time unknown")
    if report.db_schema is not None:
        built += f", schema {report.db_schema}"
    if not report.feeds:
        return [built]
    feeds = "feeds: " + ", ".join(f"{feed.name} {(feed.data_date or feed.fetched_at or '?')[:10]}"
                                  for feed in report.feeds)
    failed = [f"{feed.name}: last update failed: {feed.error}" for feed in report.feeds if feed.error]
    return [built, feeds, *failed]


def age(then: str, now: str) -> str:
    try:
        hours = (_time(now) - _time(then)).total_seconds() / 3600
    except ValueError:
        return ""
    if hours < 0:
        return ""
    return f" ({hours:.0f} h before the scan)" if hours < 48 else f" ({hours / 24:.0f} days before the scan)"


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(text)
    return value
