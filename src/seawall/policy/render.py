"""A verdict as text for a terminal, JSON for machines, and Markdown for a pull-request comment."""

from __future__ import annotations

import json

from seawall.model.policy import Decision, Verdict, Violation
from seawall.model.serialize import to_data
from seawall.output.visible import visible

_HEADLINE = {Decision.PASS: "PASS", Decision.FAIL: "FAIL", Decision.UNDECIDED: "UNDECIDED"}
_ICON = {Decision.PASS: "✅", Decision.FAIL: "❌", Decision.UNDECIDED: "⚠️"}
_MD_LIMIT = 50  # a PR comment stays readable; the JSON has them all


def render_verdict(verdict: Verdict, fmt: str) -> str:
    if fmt == "json":
        return render_json(verdict)
    if fmt == "markdown":
        return render_markdown(verdict)
    return render_table(verdict)


def render_json(verdict: Verdict) -> str:
    data = to_data(verdict)
    data["decision"] = verdict.decision.value
    data["exit_code"] = int(verdict.exit_code)
    data["schema"] = "seawall-verdict/v1"
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def _summary(verdict: Verdict) -> str:
    parts = [f"{verdict.findings} findings", f"{verdict.suppressed} suppressed", f"{len(verdict.violations)} "
             "violations"]
    if verdict.uncovered_packages:
        parts.append(f"{verdict.uncovered_packages} packages not checked ({', '.join(verdict.uncovered)})")
    return ", ".join(parts)


def render_table(verdict: Verdict, width: int | None = None) -> str:
    """The verdict as text that fits `width` (default: the terminal, or COLUMNS when piped): each violation says
    what broke the rule — the finding and package, the secret's path and layer — and what to do."""
    from rich.table import Table

    from seawall.output.width import output_width, render_text

    lines = [f"{_HEADLINE[verdict.decision]}  {verdict.target}  (policy {verdict.policy})"]
    if verdict.image_digest:
        lines.append(f"image {verdict.image_digest}")
    lines.append(_summary(verdict))
    for plat in verdict.platforms:
        lines.append(f"platform {plat.platform}  {_HEADLINE[plat.decision]}  {plat.digest}  "
                     f"({plat.findings} findings, {plat.suppressed} suppressed, {plat.violations} violations)")
    lines += [f"cannot decide: {error}" for error in verdict.errors]
    if verdict.violations:  # lines above stay whole (digests, references: for grep); the table fits the width
        table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1), expand=True)
        table.add_column("RULE", overflow="fold", max_width=24)
        table.add_column("WHAT", overflow="fold", ratio=3)
        table.add_column("WHAT TO DO", overflow="fold", ratio=2)
        for v in verdict.violations:
            table.add_row(v.rule, v.message + (f" ({v.platform})" if v.platform else ""), v.remedy)
        lines += ["", render_text(table, width=width or output_width(100)).rstrip("\n")]
    lines += [f"note: {note}" for note in verdict.notes]
    return visible("\n".join(lines)) + "\n"


def _package(v: Violation) -> str:
    return f"{v.package or '-'} ({v.platform})" if v.platform else v.package or "-"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(verdict: Verdict) -> str:
    out = [f"### {_ICON[verdict.decision]} seawall gate: **{_HEADLINE[verdict.decision]}**", "",
           f"`{_md(verdict.target)}` judged by `{_md(verdict.policy)}` — {_summary(verdict)}."]
    if verdict.image_digest:
        out.append(f"Image digest `{verdict.image_digest}`.")
    if verdict.platforms:
        out += ["", "| Platform | Verdict | Digest | Findings | Violations |", "| --- | --- | --- | --- | --- |"]
        out += [f"| {p.platform} | {_ICON[p.decision]} {_HEADLINE[p.decision]} | `{p.digest}` | {p.findings} | "
                f"{p.violations} |" for p in verdict.platforms]
    if verdict.errors:
        out += ["", "**The gate could not decide:**", ""]
        out += [f"- {_md(e)}" for e in verdict.errors]
    if verdict.violations:
        out += ["", "| Rule | Finding | Package | What to do |", "| --- | --- | --- | --- |"]
        for v in verdict.violations[:_MD_LIMIT]:
            out.append(f"| {_md(v.rule)} | {_md(v.finding_id or '—')} | {_md(_package(v))} | {_md(v.remedy)} |")
        if len(verdict.violations) > _MD_LIMIT:
            out.append(f"\n…and {len(verdict.violations) - _MD_LIMIT} more (see the JSON verdict).")
    if verdict.notes:
        out += ["", "<details><summary>Notes</summary>", ""]
        out += [f"- {_md(n)}" for n in verdict.notes]
        out += ["", "</details>"]
    return visible("\n".join(out)) + "\n"
