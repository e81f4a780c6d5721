"""Every document format seawall reads or writes, under one name each, and which module encodes or decodes it.

Commands take `--format` as a `Format`; each accepts the spellings in `ALIASES` too (`cyclonedx-json`, `spdx-json`,
`md`) and shows only the canonical names in `--help`. Adding an output format: a `Format` member (if new), its
encoder module with a `render`, and its row in the command's tuple and encoder table below.
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    CYCLONEDX = "cyclonedx"
    SPDX = "spdx"
    MARKDOWN = "markdown"
    TRIVY_JSON = "trivy-json"
    GRYPE_JSON = "grype-json"
    HTML = "html"
    CSV = "csv"

    @classmethod
    def _missing_(cls, value: object) -> Format | None:
        if isinstance(value, str):
            return ALIASES.get(value.strip().lower())
        return None

    @classmethod
    def parse(cls, name: str) -> Format:
        """The format named `name` or one of its aliases; ValueError for anything else."""
        return cls(name)


# Other spellings commands accept: the SBOM encoders write JSON only, Markdown has a short name.
ALIASES: dict[str, Format] = {
    "cyclonedx-json": Format.CYCLONEDX,
    "spdx-json": Format.SPDX,
    "md": Format.MARKDOWN,
}

# What each command writes, in the order `--help` lists them.
SCAN_FORMATS = (Format.TABLE, Format.JSON, Format.SARIF, Format.CYCLONEDX, Format.SPDX, Format.MARKDOWN,
                Format.TRIVY_JSON)
SBOM_FORMATS = (Format.TABLE, Format.JSON, Format.CYCLONEDX, Format.SPDX)
VERDICT_FORMATS = (Format.TABLE, Format.JSON, Format.MARKDOWN)  # gate, promote
COMPARE_FORMATS = (Format.TABLE, Format.MARKDOWN, Format.JSON)
FLEET_REPORT_FORMATS = (Format.HTML, Format.MARKDOWN, Format.CSV, Format.JSON)

# Encoders: format → module under seawall.output with `render(report, view) -> str` (scan reports) …
SCAN_ENCODERS: dict[Format, str] = {
    Format.TABLE: "scan_table_text",
    Format.JSON: "scan_json",
    Format.SARIF: "sarif",
    Format.CYCLONEDX: "cyclonedx_vulns",
    Format.SPDX: "scan_spdx",
    Format.MARKDOWN: "markdown",
    Format.TRIVY_JSON: "trivy_json",
}
# … and (module, function) for inventories.
SBOM_ENCODERS: dict[Format, tuple[str, str]] = {
    Format.TABLE: ("sbom_table", "render_table"),
    Format.JSON: ("sbom_json", "render_json"),
    Format.CYCLONEDX: ("cyclonedx", "render_cyclonedx"),
    Format.SPDX: ("spdx", "render_spdx"),
}
# Decoders: SBOMs read as scan targets (seawall.reports.sbom_input*), and other scanners' reports read by
# `seawall compare` (seawall.reports.*); `seawall.reports.seawall_json` is the one reader of seawall's own scan JSON.
SBOM_DECODERS: dict[Format, str] = {
    Format.JSON: "seawall.output.sbom_json",
    Format.CYCLONEDX: "seawall.reports.sbom_input_cyclonedx",
    Format.SPDX: "seawall.reports.sbom_input_spdx",
}
REPORT_DECODERS: dict[Format, str] = {
    Format.JSON: "seawall.reports.seawall_json",
    Format.TRIVY_JSON: "seawall.reports.trivy",
    Format.GRYPE_JSON: "seawall.reports.grype",
    Format.SARIF: "seawall.reports.sarif",
    Format.CYCLONEDX: "seawall.reports.cyclonedx",
}
