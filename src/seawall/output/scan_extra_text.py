"""The secrets, configuration and minimality section of the scan table as plain text, as `scan_extra_table` gets
it from rich: each table's columns as wide as their widest cell, the WHERE or EVIDENCE column taking the rest of the
width and folding. Where rich would have to shrink a column, `Unsupported` hands the report back to rich."""

from __future__ import annotations

from seawall.model.finding import ScanReport
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
from seawall.output.text_layout import Unsupported, cell, check, wrapped


def extra_lines(report: ScanReport, view: ScanView, width: int) -> list[str]:
    lines: list[str] = []
    if report.secrets is not None:
        found = secrets(report, view)
        lines += ["", *wrapped(f"Secrets: {len(found)}", width)]
        if found:
            lines += table(("SEVERITY", "RULE", "WHERE", "MATCH"),
                           [(f.severity.value, f.rule_id, secret_where(f), f.match) for f in found], width)
    if report.config is not None:
        found_config = config(report, view)
        lines += ["", *wrapped(f"Configuration: {len(found_config)}", width)]
        hidden = hidden_defaults(report, view)
        if hidden:
            lines += wrapped(DISTRO_DEFAULTS_HIDDEN.format(count=hidden), width)
        if found_config:
            lines += table(("SEVERITY", "CHECK", "EVIDENCE"),
                           [(c.severity.value, c.id, c.evidence) for c in found_config], width)
    if report.minimality is not None:
        lines += ["", *wrapped("".join(minimality_parts(report.minimality)), width)]
    return lines


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], width: int) -> list[str]:
    """`scan_extra_table._table` with these rows, `width` wide (rich's widths for an expanding table whose one
    ratio column takes what the others leave)."""
    last = len(header) - 1
    padding = [(0 if index == 0 else 1) + (0 if index == last else 1) for index in range(len(header))]
    everything = [header, *rows]
    for row in everything:
        for text in row:
            if "\n" in check(text):
                raise Unsupported
    widths = [max(len(row[index]) for row in everything) + padding[index] for index in range(len(header))]
    flexible = [index for index, name in enumerate(header) if name in FLEXIBLE]
    if len(flexible) != 1:
        raise Unsupported
    rest = width - sum(w for index, w in enumerate(widths) if index not in flexible)
    if rest < 1 + padding[flexible[0]]:
        raise Unsupported  # rich would shrink the other columns
    widths[flexible[0]] = rest
    contents = [w - padding[index] for index, w in enumerate(widths)]
    out: list[str] = []
    for number_of_row, row in enumerate(everything):
        cells = [cell(text, contents[index], wrap=header[index] not in NO_WRAP) for index, text in enumerate(row)]
        height = max(len(lines) for lines in cells)
        if number_of_row == 0:  # rich sets a header that wraps on the header row's bottom line, rows at the top
            cells = [[" " * contents[index]] * (height - len(lines)) + lines for index, lines in enumerate(cells)]
        for number in range(height):
            # A column's right padding and the next one's left padding: two blanks between contents.
            out.append("  ".join(lines[number] if number < len(lines) else " " * contents[index]
                                 for index, lines in enumerate(cells)))
    return out
