"""A comparison as a terminal table (rich), a Markdown answer to send back, or JSON (docs/compare.md)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from seawall import __version__
from seawall.compare import (
    AGREE,
    EXTRA,
    MISSING,
    REASON_CODES,
    SEVERITY,
    STATUS,
    Comparison,
    Difference,
    Row,
)
from seawall.model.finding import Finding
from seawall.model.imported import ImportedFinding
from seawall.model.sbom import Package

SCHEMA_URI = "https://seawall.dev/schema/compare/v1"
_KIND_WORDS = {MISSING: "only seawall", EXTRA: "only {tool}", SEVERITY: "severity differs", STATUS: "status differs"}


def render(comparison: Comparison, fmt: str, *, show_all: bool = False) -> str:
    if fmt == "json":
        return json.dumps(document(comparison, show_all=show_all), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(comparison, show_all=show_all)
    return table(comparison, show_all=show_all)


def shown_rows(comparison: Comparison, show_all: bool) -> list[Row]:
    return [r for r in comparison.rows if show_all or r.disputed]


# JSON ------------------------------------------------------------------------------------------------------------

def _mine(finding: Finding | None) -> dict[str, Any] | None:
    if finding is None:
        return None
    return {"id": finding.id, "severity": finding.severity.value, "severitySource": finding.severity_source,
            "status": finding.status.value, "fixedVersions": list(finding.fixed_versions),
            "dataSource": finding.data_source}


def _theirs(finding: ImportedFinding | None) -> dict[str, Any] | None:
    if finding is None:
        return None
    return {"id": finding.id, "package": {"name": finding.package.name, "version": finding.package.version},
            "severity": finding.severity.value, "severityStated": finding.severity_stated,
            "severitySource": finding.severity_source, "status": finding.status,
            "fixedVersions": list(finding.fixed_versions), "namespace": finding.namespace}


def _difference(diff: Difference | None) -> dict[str, Any]:
    if diff is None:
        return {"kind": AGREE, "reasons": []}
    return {"kind": diff.kind, "reasons": [{"code": r.code, "sentence": r.sentence, "facts": dict(r.facts)}
                                           for r in diff.reasons]}


def document(comparison: Comparison, *, show_all: bool = False) -> dict[str, Any]:
    scan = comparison.scan
    distro = scan.sbom.distro
    return {
        "schema": SCHEMA_URI,
        "generator": {"name": "seawall", "version": __version__},
        "target": comparison.target,
        "distro": distro.pretty_name or f"{distro.id} {distro.version_id or ''}".strip() if distro else None,
        "namespace": comparison.namespace,
        "seawall": {"findings": len(scan.findings), "dbBuiltAt": scan.db_built_at, "scannedAt": scan.scanned_at,
                    "packages": len(scan.sbom.packages), "inventoryComplete": comparison.inventory_complete},
        "reports": [
            {"path": r.path, "format": r.format, "tool": r.tool, "toolVersion": r.tool_version,
             "dbBuilt": r.db_built, "createdAt": r.created_at, "findings": len(r.findings),
             "packages": len(r.packages), "listsAllPackages": r.lists_all_packages,
             "summary": comparison.counts(i), "reasons": comparison.reason_counts(i)}
            for i, r in enumerate(comparison.reports)
        ],
        "inventory": [_inventory(inv) for inv in comparison.inventories],
        "rows": [
            {"vulnerability": row.vulnerability, "ids": list(row.ids),
             "package": {"name": row.package_name, "version": row.package_version, "type": row.package_type,
                         "inImage": row.package is not None},
             "seawall": _mine(row.seawall),
             "reports": [{"report": i, **_difference(_diff(row, i)), "finding": _theirs(row.others[i])}
                         for i in range(len(comparison.reports))],
             "statement": {"source": row.statement.source, "text": row.statement.text, "url": row.statement.url}
             if row.statement else None}
            for row in shown_rows(comparison, show_all)
        ],
    }


def _inventory(inv: Any) -> dict[str, Any] | None:
    if inv is None:
        return None
    return {
        "agree": inv.agree,
        "onlySeawall": [{"name": p.name, "version": p.version, "type": p.type, "where": where(p)}
                        for p in inv.only_seawall],
        "onlyReport": [{"name": p.name, "version": p.version, "type": p.type, "locations": list(p.locations)}
                       for p in inv.only_report],
        "otherVersion": [{"name": mine.name, "seawallVersion": mine.version, "reportVersion": theirs.version}
                         for mine, theirs in inv.other_version],
    }


def where(package: Package) -> str:
    if not package.locations:
        return ""
    loc = package.locations[0]
    layer = package.layer_index if package.layer_index is not None else loc.layer_index
    return loc.path + (f" (layer {layer})" if layer is not None else "")


def _inventory_lines(comparison: Comparison, limit: int = 25, *, markdown: bool = True) -> Iterator[str]:
    """What a report that lists a whole inventory says beyond the findings: Markdown bullets, or plain indented text
    for the terminal."""
    def code(text: str) -> str:
        return f"`{text}`" if markdown else text

    top, sub = ("- ", "  - ") if markdown else ("", "  ")
    for inv in comparison.inventories:
        if inv is None:
            continue
        tool = comparison.reports[inv.report].tool
        yield (f"{top}{f'**{tool}**' if markdown else tool} lists its whole inventory: {inv.agree} packages alike, "
               f"{len(inv.only_seawall)} found only by seawall, {len(inv.only_report)} listed only by {tool}, "
               f"{len(inv.other_version)} at another version")
        for p in inv.only_seawall[:limit]:
            yield f"{sub}only seawall: {code(p.name)} {p.version} ({p.type}) at {where(p)}"
        for theirs in inv.only_report[:limit]:
            places = f" at {', '.join(theirs.locations)}" if theirs.locations else ""
            yield (f"{sub}only {tool}: {code(theirs.name)} {theirs.version} ({theirs.type}){places}: not in the "
                   "image as seawall reads it")
        for mine, theirs in inv.other_version[:limit]:
            yield f"{sub}{code(mine.name)}: seawall {mine.version}, {tool} {theirs.version}"
        hidden = max(len(inv.only_seawall) - limit, 0) + max(len(inv.only_report) - limit, 0) + max(
            len(inv.other_version) - limit, 0)
        if hidden:
            yield f"{sub}… and {hidden} more (see {code('--format json')})"


def _diff(row: Row, report: int) -> Difference | None:
    return next((d for d in row.differences if d.report == report), None)


# Markdown --------------------------------------------------------------------------------------------------------

def _sev(finding: Finding | ImportedFinding | None) -> str:
    if finding is None:
        return "not reported"
    if isinstance(finding, Finding):
        return f"{finding.severity.value} ({finding.severity_source}), {finding.status.value}"
    text = finding.severity_stated or finding.severity.value
    return f"{text}" + (f", {finding.status}" if finding.status else "")


def _summary_lines(comparison: Comparison) -> Iterator[str]:
    for i, report in enumerate(comparison.reports):
        counts = comparison.counts(i)
        db = f", DB built {report.db_built[:10]}" if report.db_built else ""
        yield (f"- **{report.label}** ({report.path}{db}): {counts[AGREE]} agree, {counts[MISSING]} only in seawall, "
               f"{counts[EXTRA]} only in {report.tool}, {counts[SEVERITY]} with another severity, "
               f"{counts[STATUS]} with another status")


def markdown(comparison: Comparison, *, show_all: bool = False) -> str:
    scan = comparison.scan
    out = io.StringIO()
    out.write(f"# Vulnerability report comparison: {comparison.target}\n\n")
    distro = scan.sbom.distro
    if distro is not None:
        out.write(f"Image distribution: {distro.pretty_name or distro.id} (advisories of `{comparison.namespace}`). ")
    out.write(f"seawall {__version__} found {len(scan.findings)} findings"
              + (f" with a DB built {scan.db_built_at[:10]}" if scan.db_built_at else "") + ".\n\n")
    for line in _summary_lines(comparison):
        out.write(line + "\n")
    inventory = list(_inventory_lines(comparison))
    if inventory:
        out.write("\n## Inventory differences\n\n" + "\n".join(inventory) + "\n")
    rows = shown_rows(comparison, show_all)
    if not rows:
        out.write("\nThe reports agree on every finding.\n")
        return out.getvalue()
    out.write("\n## Findings in dispute\n" if not show_all else "\n## Findings\n")
    by_vuln: dict[str, list[Row]] = {}
    for row in rows:
        by_vuln.setdefault(row.vulnerability, []).append(row)
    for vuln, group in by_vuln.items():
        out.write(f"\n### {vuln}\n\n")
        statement = next((r.statement for r in group if r.statement), None)
        if statement is not None:
            out.write(f"**Distribution's statement:** {statement.text}"
                      + (f" — <{statement.url}>" if statement.url else "") + "\n\n")
        for row in group:
            out.write(f"- `{row.package_name}` {row.package_version}: seawall: {_sev(row.seawall)}\n")
            for i, report in enumerate(comparison.reports):
                diff = _diff(row, i)
                theirs = row.others[i]
                if diff is None:
                    if theirs is not None or row.seawall is not None:
                        out.write(f"  - {report.tool}: {_sev(theirs)} (agrees)\n")
                    continue
                out.write(f"  - {report.tool}: {_sev(theirs) if theirs else 'not reported'}\n")
                for reason in diff.reasons:
                    out.write(f"    - *{reason.code}*: {reason.sentence}\n")
    return out.getvalue()


# table -------------------------------------------------------------------------------------------------------------

def table(comparison: Comparison, *, show_all: bool = False, width: int | None = None) -> str:
    """Plain text for the terminal, `width` columns wide (default: the terminal's, or COLUMNS when piped): the
    counts per report, then one block per disputed finding with each side's verdict and why they differ."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from seawall.output.width import output_width, render_text

    items: list[Any] = [Text(f"{comparison.target}: seawall vs {', '.join(r.label for r in comparison.reports)}",
                             overflow="fold", style="bold")]
    summary = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    summary.add_column("report", overflow="fold")
    for column in ("agree", "only seawall", "only report", "severity", "status"):
        summary.add_column(column, justify="right", no_wrap=True)
    for i, report in enumerate(comparison.reports):
        counts = comparison.counts(i)
        summary.add_row(report.label, str(counts[AGREE]), str(counts[MISSING]), str(counts[EXTRA]),
                        str(counts[SEVERITY]), str(counts[STATUS]))
    items.append(summary)
    for i, report in enumerate(comparison.reports):
        reasons = comparison.reason_counts(i)
        if reasons:
            text = ", ".join(f"{code} {reasons[code]}" for code in REASON_CODES if code in reasons)
            items.append(Text(f"{report.label}, reasons: {text}", overflow="fold"))
    inventory = list(_inventory_lines(comparison, limit=10, markdown=False))
    if inventory:
        items.append(Text(""))
        items += [Padding(Text(line.strip(), overflow="fold"), (0, 0, 0, 2)) if line.startswith(" ")
                  else Text(line, overflow="fold") for line in inventory]
    rows = shown_rows(comparison, show_all)
    if not rows:
        items += [Text(""), Text("The reports agree on every finding.")]
    for row in rows:
        items += [Text(""), Text(f"{row.vulnerability}  {row.package_name} {row.package_version}", style="bold",
                                 overflow="fold")]
        sides = [f"seawall: {_sev(row.seawall)}",
                 *(f"{r.tool}: {_sev(f)}" for r, f in zip(comparison.reports, row.others, strict=True))]
        items.append(Padding(Text(" · ".join(sides), overflow="fold"), (0, 0, 0, 2)))
        for diff in row.differences:
            tool = comparison.reports[diff.report].tool
            kind = _KIND_WORDS[diff.kind].format(tool=tool)
            for reason in diff.reasons:
                items.append(Padding(Text(f"{tool}, {kind}: {reason.code}: {reason.sentence}", overflow="fold"),
                                     (0, 0, 0, 2)))
        if not row.differences:
            items.append(Padding(Text("every side agrees"), (0, 0, 0, 2)))
    return render_text(*items, width=width or output_width(100))
