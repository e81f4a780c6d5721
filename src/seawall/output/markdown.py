"""The scan as a short Markdown report for a pull-request comment: counts first, then a table per package, then
secrets, configuration findings and a minimality line when those scanners ran (a secret shows only its redacted
match)."""

from __future__ import annotations

from seawall.model.extra import Minimality
from seawall.model.finding import Finding, ScanReport
from seawall.model.sbom import Package
from seawall.output.scan import ScanView
from seawall.output.scan_extra import config, secrets, vuln_scanned
from seawall.output.scan_text import (
    SEVERITY_ORDER,
    Summary,
    by_package,
    coverage_notes,
    coverage_statement,
    no_findings_line,
    severity_hint,
    severity_rank,
    status_text,
)
from seawall.output.visible import visible

SEVERITY_MARKS = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "negligible": "⬜", "unknown": "⬜"}


def render(report: ScanReport, view: ScanView) -> str:
    image = report.image
    lines = [f"### seawall: `{_code(image.source)}`", ""]
    facts = []
    if image.digest:
        facts.append(f"digest `{image.digest[:19]}…`")
    if report.sbom.distro is not None:
        distro = report.sbom.distro
        facts.append((distro.pretty_name or distro.namespace) + (" (**end of life**)" if distro.eol else ""))
    facts.append(f"scanned {report.scanned_at}")
    if report.db_built_at:
        facts.append(f"DB built {report.db_built_at}")
    lines += [" · ".join(facts), ""]
    if vuln_scanned(report):
        lines += _vulnerabilities(report, view)
    lines += _extra_sections(report, view)
    return visible("\n".join(lines).rstrip("\n")) + "\n"


def _vulnerabilities(report: ScanReport, view: ScanView) -> list[str]:
    shown = list(view.visible(report.findings))
    summary = Summary.of(report, view, shown)
    lines = ["| " + " | ".join(s.value.capitalize() for s in SEVERITY_ORDER) + " | Fixable | Known exploited |",
              "|" + "---:|" * (len(SEVERITY_ORDER) + 2),
              "| " + " | ".join(str(summary.by_severity[s]) for s in SEVERITY_ORDER)
              + f" | {summary.fixable} | {summary.kev} |", ""]
    notes = [f"{summary.suppressed} suppressed"]
    if summary.hidden:
        notes.append(f"{summary.hidden} hidden by filters")
    failed = [feed.name for feed in report.feeds if feed.error]
    if failed:
        notes.append("stale feeds: " + ", ".join(failed))
    lines += [f"{summary.shown} finding{'' if summary.shown == 1 else 's'}; " + ", ".join(notes) + ".", ""]

    groups = by_package(shown)
    groups.sort(key=lambda group: (min(severity_rank(f.severity) for f in group[1]), group[0].name))
    if not groups:
        lines += [no_findings_line(report), ""]
    if statement := coverage_statement(report):
        lines += [f"> **Not checked:** {_text(statement)}", ""]
    lines += [f"> {_text(note)}" for note in coverage_notes(report)]
    if coverage_notes(report):
        lines.append("")
    for package, findings in groups:
        lines += [f"#### {_package_heading(package)}", "",
                  "| Vulnerability | Severity | Status | Fixed in |", "|---|---|---|---|"]
        lines += [_row(finding) for finding in findings]
        lines.append("")
    return lines


def _extra_sections(report: ScanReport, view: ScanView) -> list[str]:
    lines: list[str] = []
    if report.secrets is not None:
        found = secrets(report, view)
        lines += [f"#### Secrets: {len(found)}", ""]
        if found:
            lines += ["| Rule | Severity | Where | Match |", "|---|---|---|---|"]
            for f in found:
                where = f"`{_cell_code(f.path)}` line {f.line}"
                where += f" · layer {f.layer_index}" if f.layer_index is not None else " · image config"
                if f.deleted:
                    where += f", deleted in layer {f.deleted_in_layer} (still in the image)"
                severity = f"{SEVERITY_MARKS[f.severity.value]} {f.severity.value}"
                lines.append(f"| {_text(f.title)} (`{_cell_code(f.rule_id)}`) | {severity} | {where} "
                             f"| `{_cell_code(f.match)}` |")
            lines.append("")
    if report.config is not None:
        found_config = config(report, view)
        lines += [f"#### Configuration: {len(found_config)}", ""]
        if found_config:
            lines += ["| Check | Severity | Evidence | Remedy |", "|---|---|---|---|"]
            for c in found_config:
                severity = f"{SEVERITY_MARKS[c.severity.value]} {c.severity.value}"
                lines.append(f"| {_text(c.title)} (`{_cell_code(c.id)}`) | {severity} | {_text(c.evidence)} "
                             f"| {_text(c.remedy)} |")
            lines.append("")
    minimality = report.minimality
    if minimality is not None:
        lines += [_minimality(minimality), ""]
    return lines


def _minimality(m: Minimality) -> str:
    size = f"{m.compressed_size / 1e6:.1f} MB compressed"
    if m.uncompressed_size is not None:
        size += f", {m.uncompressed_size / 1e6:.1f} MB uncompressed"
    carried = [f"{label}: {', '.join(p.rpartition('/')[2] for p in paths) if paths else 'none'}"
               for label, paths in (("shell", m.shells), ("package manager", m.package_managers),
                                    ("compiler", m.compilers))]
    return f"**Minimality:** {size}, {m.layers} layer(s), {m.packages} package(s) · " + " · ".join(carried)


def _package_heading(package: Package) -> str:
    heading = f"`{_code(package.name)}` {_text(package.version)}"
    if package.source_name and package.source_name != package.name:
        heading += f" (source `{_code(package.source_name)}`)"
    if package.layer_index is not None:
        heading += f" · layer {package.layer_index}"
    return heading


def _row(finding: Finding) -> str:
    ident = f"[{finding.id}]({finding.data_source})" if finding.data_source else finding.id
    if finding.kev:
        ident += " **KEV**"
    severity = f"{SEVERITY_MARKS[finding.severity.value]} {finding.severity.value}"
    if hint := severity_hint(finding):
        severity += f" ({hint})"
    status = status_text(finding) if finding.status.value != "fixed" else "fixed"
    if finding.version_unknown:
        status += " (version not comparable)"
    if finding.range_unparseable:
        status += " (range unparseable)"
    if finding.suppressed:
        status = f"~~{status}~~ suppressed: {finding.suppressions[0].reason}"
    fixed = ", ".join(finding.fixed_versions)
    return f"| {ident} | {severity} | {_text(status)} | {_text(fixed)} |"


def _text(text: str) -> str:
    """Table-cell safe: pipes and newlines would break the table, `<` would open HTML."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _code(text: str) -> str:
    return text.replace("`", "'")


def _cell_code(text: str) -> str:
    """Code in a table cell: GitHub splits cells at a pipe even inside backticks, unless it is escaped."""
    return " ".join(_code(text).split()).replace("|", "\\|")
