"""The fleet report as one static HTML file: inline CSS, inline SVG charts and a little inline JS to sort and
filter the image table. Opens offline; fetches nothing."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from seawall import __version__
from seawall.fleet import report_charts as charts
from seawall.fleet.records import SEVERITIES
from seawall.fleet.report import ReportData
from seawall.fleet.report_trend import identity

MAX_BAR_ROWS = 40  # the per-image severity chart shows the worst images; the table lists them all
STATE_ORDER = ("fixed", "affected", "undetermined", "minor", "will-not-fix", "fix-deferred", "negligible",
               "unsupported")


def _charts(data: ReportData) -> dict[str, Markup]:
    ok = sorted(data.distinct, key=lambda v: (-v.result.total, v.result.key))
    worst = [(charts.short_name(v.result.key), v.result.severities) for v in ok[:MAX_BAR_ROWS] if v.result.total]
    colors = {True: "#c44e52", False: "#3a9a5b", None: "#8a96a3"}
    distro_items = [(f"{d['distro']}{' (EOL)' if d['eol'] else ''}", d["images"], colors[d["eol"]])
                    for d in data.distros()]
    top = [(f"{c['id']}{' ★KEV' if c['kev'] else ''}", c["images"], charts.SEVERITY_COLORS[c["severity"]])
           for c in data.top_cves()]
    points = [(float(v.age_days), float(v.result.total), v.result.key,
               "#c44e52" if v.result.distro_eol else "#2f6fb0") for v in data.distinct if v.age_days is not None]
    variants = data.variants()
    series = [name for name in ("default", "slim", "alpine")
              if any(name in group["variants"] for group in variants)]
    series += sorted({name for group in variants for name in group["variants"]} - set(series))
    groups = [(charts.short_name(group["repository"]),
               {name: float(v["findings"]) for name, v in group["variants"].items()}) for group in variants]
    labels = [point.label for point in data.trend]
    return {
        "severity": charts.stacked_bars(worst, SEVERITIES, "Findings by severity per image"),
        "scatter": charts.scatter(points, "Image age against findings", "age (days since built)", "findings"),
        "distros": charts.bars(distro_items, "Images per distribution release"),
        "variants": charts.grouped_bars(groups, series, "Findings per variant"),
        "top": charts.bars(top, "Most widespread vulnerabilities (images affected)"),
        "trend_findings": charts.line_chart(labels, {"findings": [float(p.findings) for p in data.trend]},
                                            "Findings across runs", "findings"),
        "trend_shares": charts.line_chart(labels, {
            "% with fixable critical/high": [round(p.share_critical_high_fixable * 100, 1) for p in data.trend],
            "% on EOL distribution": [round(p.share_eol * 100, 1) for p in data.trend]},
            "Shares across runs", "% of images"),
    }


def render_html(data: ReportData) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["short"] = charts.short_name
    template = env.from_string(resources.files("seawall.fleet").joinpath("templates/report.html.j2")
                               .read_text(encoding="utf-8"))
    pages = sorted(data.distinct, key=lambda v: (-v.result.fixable_critical_high, -v.result.total, v.result.key))
    anchors = {identity(v.result): v.anchor for v in pages}
    tags: dict[str, list[str]] = {}
    for view in sorted(data.ok, key=lambda v: (v.result.alias_of is not None, v.result.key)):
        tags.setdefault(identity(view.result), []).append(view.result.tag)
    context: dict[str, Any] = {
        "data": data, "summary": data.summary(), "charts": _charts(data), "severities": SEVERITIES,
        "states": STATE_ORDER, "version": __version__, "top_cves": data.top_cves(), "colors": charts.SEVERITY_COLORS,
        "variants": data.variants(), "rollup": data.rollup(), "trend": data.trend,
        "images": sorted(data.ok, key=lambda v: (-v.result.fixable_critical_high, -v.result.total, v.result.key)),
        # One section per digest: alias tags link to the section of the tag that was scanned.
        "pages": pages, "anchor_of": lambda r: anchors.get(identity(r), ""), "tags_of": lambda r: tags[identity(r)],
    }
    return template.render(**context)
