"""The watch's status page: one offline HTML file in the fleet report's style (its own stylesheet, read from the
fleet template so the two never drift apart) listing every production image, its open findings by severity, what
it was judged with, and the change history."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from seawall import __version__
from seawall.fleet import report_charts as charts
from seawall.fleet.records import SEVERITIES
from seawall.watch.store import WatchedImage, WatchStore

MAX_BAR_ROWS = 40
MAX_CHANGES = 500


def fleet_style() -> Markup:
    template = resources.files("seawall.fleet").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    found = re.search(r"<style>.*?</style>", template, re.S)
    return Markup(found.group(0) if found else "")


def _row(image: WatchedImage) -> dict[str, Any]:
    counts = dict.fromkeys(SEVERITIES, 0)
    fixable = kev = suppressed = 0
    for state in (image.findings or {}).values():
        if not state.open:
            suppressed += 1
            continue
        counts[state.severity if state.severity in counts else "unknown"] += 1
        fixable += state.fix_available
        kev += state.kev is not None
    if image.problem:
        coverage = f"not judged: {image.problem}"
    elif image.findings is None:
        coverage = "not judged yet"
    else:
        coverage = image.coverage or f"{image.packages or 0} packages, matched against the DB of " \
                   f"{image.db_updated_at or 'unknown date'}"
    return {**image.__dict__, "counts": counts, "fixable": fixable, "kev": kev, "suppressed": suppressed,
            "coverage": coverage, "open": sum(counts.values())}


def render_status(store: WatchStore, repositories: list[str]) -> str:
    images = [_row(i) for i in store.images() if i.present]
    images.sort(key=lambda r: (r["repository"], r["tags"][:1] or ["~"], r["digest"]))
    ticks = store.ticks(limit=30)
    totals = {"open": sum(r["open"] for r in images), "fixable": sum(r["fixable"] for r in images),
              "kev": sum(r["kev"] for r in images),
              **{s: sum(r["counts"][s] for r in images) for s in SEVERITIES}}
    worst = sorted(images, key=lambda r: (-r["open"], r["repository"]))[:MAX_BAR_ROWS]
    chart = charts.stacked_bars([(f"{r['repository'].rsplit('/', 1)[-1]}:{','.join(r['tags']) or r['digest'][7:19]}",
                                  r["counts"]) for r in worst if r["open"]], SEVERITIES,
                                "Open findings by severity per image")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                      lstrip_blocks=True)
    template = env.from_string(resources.files("seawall.watch").joinpath("templates/status.html.j2")
                               .read_text(encoding="utf-8"))
    return template.render(
        style=fleet_style(), tick=ticks[0] if ticks else None, ticks=ticks, repositories=repositories,
        images=images, unjudged=sum(1 for r in images if r["problem"] or r["findings"] is None), totals=totals,
        chart=chart, severities=SEVERITIES, changes=list(reversed(store.changes(limit=MAX_CHANGES))),
        version=__version__)
