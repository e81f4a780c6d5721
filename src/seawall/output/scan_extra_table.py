"""The secrets, configuration and minimality section of the scan table, as rich renderables (see `scan_extra` for
the text of each cell and `scan_table_text` for the same section without rich)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from seawall.model.finding import ScanReport
from seawall.model.vuln import Severity
from seawall.output.scan import ScanView
from seawall.output.scan_extra import (
    DISTRO_DEFAULTS_HIDDEN,
    FLEXIBLE,
    NO_WRAP,
    config,
    hidden_defaults,
    minimality_parts,
    secret_where,
    secrets,
)

STYLES = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "blue"}


def table_renderables(report: ScanReport, view: ScanView) -> list[RenderableType]:
    items: list[RenderableType] = []
    if report.secrets is not None:
        found = secrets(report, view)
        items += [Text(""), Text(f"Secrets: {len(found)}", style="bold")]
        if found:
            table = _table("SEVERITY", "RULE", "WHERE", "MATCH")
            for f in found:
                table.add_row(Text(f.severity.value, style=STYLES.get(f.severity, "")), Text(f.rule_id),
                              Text(secret_where(f)), Text(f.match))
            items.append(table)
    if report.config is not None:
        found_config = config(report, view)
        items += [Text(""), Text(f"Configuration: {len(found_config)}", style="bold")]
        hidden = hidden_defaults(report, view)
        if hidden:
            items.append(Text(DISTRO_DEFAULTS_HIDDEN.format(count=hidden), style="dim"))
        if found_config:
            table = _table("SEVERITY", "CHECK", "EVIDENCE")
            for c in found_config:
                table.add_row(Text(c.severity.value, style=STYLES.get(c.severity, "")), Text(c.id), Text(c.evidence))
            items.append(table)
    minimality = report.minimality
    if minimality is not None:
        label, rest = minimality_parts(minimality)
        text = Text(label, style="bold")
        text.append(rest)
        items += [Text(""), text]
    return items


def _table(*columns: str) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1), show_edge=False, expand=True)
    for name in columns:
        table.add_column(name, no_wrap=name in NO_WRAP, overflow="fold", ratio=1 if name in FLEXIBLE else None)
    return table

