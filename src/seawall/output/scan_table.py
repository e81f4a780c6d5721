"""The scan as a terminal report: one block per package, one row per finding, then the counts and the DB's age.

`render` gives plain text (no colour codes) for files, pipes and golden files; `print_table` writes to a rich
Console, which colours when the console is a terminal.
"""

from __future__ import annotations

import io
from datetime import datetime

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from seawall.model.finding import Finding, ScanReport
from seawall.model.sbom import Package
from seawall.model.vuln import Severity, Status
from seawall.output.scan import ScanView
from seawall.output.scan_text import (
    SEVERITY_ORDER,
    Summary,
    by_package,
    created_by_short,
    severity_rank,
    shorten,
    status_text,
)

WIDTH = 100
SEVERITY_STYLES = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "blue",
    Severity.NEGLIGIBLE: "dim",
    Severity.UNKNOWN: "dim",
}
# Verdicts that leave the package vulnerable for good are worth a second look; fixes are the actionable ones.
STATUS_STYLES = {Status.FIXED: "green", Status.WILL_NOT_FIX: "magenta", Status.UNSUPPORTED: "magenta"}


def render(report: ScanReport, view: ScanView) -> str:
    return render_table(report, view)


def render_table(report: ScanReport, view: ScanView, *, width: int = WIDTH, color: bool = False) -> str:
    """The report as text `width` columns wide; `color` keeps rich's ANSI styles (for a pager that shows them)."""
    console = Console(file=io.StringIO(), width=width, force_terminal=color, no_color=not color, highlight=False,
                      emoji=False)
    print_table(report, view, console)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"


def print_table(report: ScanReport, view: ScanView, console: Console | None = None) -> None:
    """Print to `console` (default: standard output, coloured when it is a terminal)."""
    console = console or Console(highlight=False, emoji=False)
    for renderable in renderables(report, view):
        console.print(renderable)


def renderables(report: ScanReport, view: ScanView) -> list[RenderableType]:
    shown = list(view.visible(report.findings))
    items: list[RenderableType] = [_heading(report)]
    groups = by_package(shown)
    # The package with the worst finding first: the top of the screen is what to fix first.
    groups.sort(key=lambda group: (min(severity_rank(f.severity) for f in group[1]), group[0].name))
    for package, findings in groups:
        items.append(Group(Text(""), _package_line(package), _findings_table(findings)))
    if not groups:
        items.append(Text("No vulnerabilities found." if not report.findings else "No findings to show."))
    items += [Text(""), _summary_line(Summary.of(report, view, shown)), _db_line(report)]
    return items


def _heading(report: ScanReport) -> Text:
    image = report.image
    text = Text(image.source, style="bold")
    if image.digest:
        text.append(f" ({image.digest[:19]}…)", style="dim")
    distro = report.sbom.distro
    if distro is not None:
        text.append(" — " + (distro.pretty_name or distro.namespace))
        if distro.eol:
            text.append(f" — end of life{' since ' + distro.eol_date if distro.eol_date else ''}", style="bold red")
    if report.base_image:
        layers = "" if report.base_layers is None else f", {report.base_layers} layers"
        text.append(f"\nbase image: {report.base_image}{layers}", style="dim")
    return text


def _package_line(package: Package) -> Text:
    text = Text(package.name, style="bold")
    text.append(f" {package.version}")
    text.append(f"  ({package.type}", style="dim")
    if package.source_name and package.source_name != package.name:
        text.append(f", source {package.source_name}", style="dim")
    text.append(")", style="dim")
    if package.layer_index is not None:
        text.append(f"  layer {package.layer_index}", style="dim")
        if package.created_by:
            text.append(": " + created_by_short(package.created_by, 56), style="dim")
    elif package.locations:
        text.append(f"  {package.locations[0].path}", style="dim")
    return text


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1), show_edge=False, expand=False)
    table.add_column("ID", no_wrap=True, min_width=14)
    table.add_column("SEVERITY", no_wrap=True)
    table.add_column("STATUS", overflow="fold", max_width=26)
    table.add_column("KEV", no_wrap=True)
    table.add_column("EPSS", no_wrap=True, justify="right")
    table.add_column("TITLE", overflow="ellipsis", no_wrap=True, ratio=1)
    for finding in findings:
        status = Text(status_text(finding), style=STATUS_STYLES.get(finding.status, ""))
        if finding.version_unknown:
            status.append(" (version not comparable)", style="dim")
        title = shorten(finding.title or finding.description, 80)
        if finding.suppressed:
            status = Text("suppressed: " + finding.suppressions[0].kind, style="dim")
            title = shorten(finding.suppressions[0].reason, 80)
        table.add_row(
            Text(finding.id, style="dim" if finding.suppressed else ""),
            Text(finding.severity.value, style="dim" if finding.suppressed else SEVERITY_STYLES[finding.severity]),
            status,
            Text("KEV", style="bold red") if finding.kev else Text(""),
            Text(f"{finding.epss.score:.1%}" if finding.epss else ""),
            Text(title, style="dim" if finding.suppressed else ""),
        )
    return table


def _summary_line(summary: Summary) -> Text:
    text = Text(f"{summary.shown} vulnerabilit{'y' if summary.shown == 1 else 'ies'}", style="bold")
    counts = [(severity, summary.by_severity[severity]) for severity in SEVERITY_ORDER]
    text.append(" (")
    for index, (severity, count) in enumerate(counts):
        if index:
            text.append(", ")
        text.append(f"{severity.value} {count}", style=SEVERITY_STYLES[severity] if count else "dim")
    text.append(")")
    text.append(f" · {summary.fixable} fixable")
    text.append(f" · {summary.kev} known exploited", style="bold red" if summary.kev else "")
    text.append(f" · {summary.suppressed} suppressed")
    if summary.hidden:
        text.append(f" · {summary.hidden} hidden by filters", style="dim")
    return text


def _db_line(report: ScanReport) -> Text:
    text = Text("DB: ", style="dim")
    if report.db_built_at:
        text.append(f"built {report.db_built_at}{_age(report.db_built_at, report.scanned_at)}", style="dim")
    else:
        text.append("build time unknown", style="dim")
    feeds = []
    for feed in report.feeds:
        date = (feed.data_date or feed.fetched_at or "?")[:10]
        feeds.append((feed, f"{feed.name} {date}"))
    if feeds:
        text.append(" · feeds: ", style="dim")
        for index, (feed, words) in enumerate(feeds):
            if index:
                text.append(", ", style="dim")
            text.append(words, style="dim")
            if feed.error:
                text.append(" (last update failed)", style="yellow")
    return text


def _age(then: str, now: str) -> str:
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
