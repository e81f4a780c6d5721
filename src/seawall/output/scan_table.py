"""The scan as a terminal report: one block per package, one row per finding, then the counts and the DB's age.

`render` gives plain text (no colour codes) for files, pipes and golden files; `print_table` writes to a rich
Console, which colours when the console is a terminal.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from seawall.model.finding import Finding, ScanReport
from seawall.model.sbom import Package
from seawall.model.vuln import Severity, Status
from seawall.output.scan import ScanView
from seawall.output.scan_extra import vuln_scanned
from seawall.output.scan_extra_table import table_renderables
from seawall.output.scan_redact import redacted
from seawall.output.scan_table_text import (  # the text of each cell, shared with the plain-text writer
    UNCOMPARABLE,
    UNDECIDABLE,
    WIDTH,
)
from seawall.output.scan_table_text import Widths as _Widths
from seawall.output.scan_table_text import age as _age
from seawall.output.scan_table_text import status_label as _status
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
)
from seawall.output.visible import print_visible

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
    from seawall.output.width import output_width

    return render_table(report, view, width=output_width(WIDTH))


def render_table(report: ScanReport, view: ScanView, *, width: int = WIDTH, color: bool = False) -> str:
    """The report as text `width` columns wide; `color` keeps rich's ANSI styles (for a pager that shows them)."""
    console = Console(file=io.StringIO(), width=width, force_terminal=color, no_color=not color, highlight=False,
                      markup=False, emoji=False)  # image paths and names are text, never markup
    print_table(report, view, console)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"


def print_table(report: ScanReport, view: ScanView, console: Console | None = None) -> None:
    """Print to `console` (default: standard output, coloured when it is a terminal)."""
    console = console or Console(highlight=False, emoji=False, markup=False)
    for renderable in renderables(redacted(report), view):
        print_visible(console, renderable)


def renderables(report: ScanReport, view: ScanView) -> list[RenderableType]:
    items: list[RenderableType] = [_heading(report)]
    if not vuln_scanned(report):
        return items + table_renderables(report, view)  # secrets, configuration, minimality; no DB was opened
    shown = list(view.visible(report.findings))
    groups = by_package(shown)
    # The package with the worst finding first: the top of the screen is what to fix first.
    groups.sort(key=lambda group: (min(severity_rank(f.severity) for f in group[1]), group[0].name))
    widths = _Widths.of(shown)
    for package, findings in groups:
        items.append(Group(Text(""), _package_line(package), _findings_table(findings, widths)))
    statement = coverage_statement(report)
    if not groups:
        line = Text(no_findings_line(report))
        if statement:
            line.append(" " + statement, style="bold yellow")
            statement = ""
        items.append(line)
    if any(finding.version_unknown for finding in shown):
        items.append(Text(f"{UNCOMPARABLE} the installed version could not be compared; reported as affected",
                          style="dim"))
    if any(finding.range_unparseable for finding in shown):
        items.append(Text(f"{UNDECIDABLE} range unparseable: a bound of the advisory does not parse; reported as "
                          "affected", style="dim"))
    items += [Text(""), _summary_line(Summary.of(report, view, shown))]
    if statement:
        items.append(Text(statement, style="bold yellow"))
    items += [Text(note, style="yellow") for note in coverage_notes(report)]
    items += _db_lines(report)
    items += table_renderables(report, view)  # secrets, configuration, minimality
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
    text = Text(package.name, style="bold", no_wrap=True, overflow="ellipsis")
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


def _findings_table(findings: list[Finding], widths: _Widths) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1), show_edge=False, expand=True)
    table.add_column("ID", no_wrap=True, width=max(widths.id, 2))
    table.add_column("SEVERITY", no_wrap=True, width=max(widths.severity, 8))
    table.add_column("STATUS", overflow="fold", width=max(widths.status, 6))
    table.add_column("KEV", no_wrap=True, width=3)
    table.add_column("EPSS", no_wrap=True, justify="right", width=5)
    table.add_column("TITLE", overflow="ellipsis", no_wrap=True, ratio=1)
    for finding in findings:
        dim = "dim" if finding.suppressed else ""
        status = Text(_status(finding), style=dim or STATUS_STYLES.get(finding.status, ""))
        title = finding.suppressions[0].reason if finding.suppressed else finding.title or finding.description
        table.add_row(
            Text(finding.id, style=dim),
            _severity_cell(finding, dim),
            status,
            Text("KEV", style="bold red") if finding.kev else Text(""),
            Text(f"{finding.epss.score:.1%}" if finding.epss else "", style=dim),
            Text(shorten(title, 200), style=dim),
        )
    return table


def _severity_cell(finding: Finding, dim: str) -> Text:
    text = Text(finding.severity.value, style=dim or SEVERITY_STYLES[finding.severity])
    hint = severity_hint(finding)
    if hint and hint != "unrated":
        text.append(f" ({hint})", style="dim")
    return text


def _summary_line(summary: Summary) -> Text:
    text = Text(f"{summary.shown} finding{'' if summary.shown == 1 else 's'}", style="bold")
    counts = [(severity, count) for severity in SEVERITY_ORDER if (count := summary.by_severity[severity])]
    if counts:
        text.append(": ")
    for index, (severity, count) in enumerate(counts):
        if index:
            text.append(", ")
        text.append(f"{severity.value} {count}", style=SEVERITY_STYLES[severity])
    text.append(f" · fixable {summary.fixable}")
    text.append(f" · KEV {summary.kev}", style="bold red" if summary.kev else "")
    text.append(f" · suppressed {summary.suppressed}")
    if summary.hidden:
        text.append(f" · {summary.hidden} hidden by filters", style="dim")
    return text


def _db_lines(report: ScanReport) -> list[Text]:
    built = Text("DB ", style="dim")
    if report.db_built_at:
        built.append(f"built {report.db_built_at}{_age(report.db_built_at, report.scanned_at)}", style="dim")
    else:
        built.append("build time unknown", style="dim")
    if report.db_schema is not None:
        built.append(f", schema {report.db_schema}", style="dim")
    if not report.feeds:
        return [built]
    feeds = Text("feeds: ", style="dim")
    for index, feed in enumerate(report.feeds):
        if index:
            feeds.append(", ", style="dim")
        feeds.append(f"{feed.name} {(feed.data_date or feed.fetched_at or '?')[:10]}", style="dim")
    failed = [Text(f"{feed.name}: last update failed: {feed.error}", style="yellow")
              for feed in report.feeds if feed.error]
    return [built, feeds, *failed]
