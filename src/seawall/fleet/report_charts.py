"""Small inline SVG charts for the fleet report: no script and no network at view time, readable when printed.

Written by hand: the five chart shapes needed here are a few dozen lines each, cheaper than embedding a chart
library into every report file."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

SEVERITY_COLORS = {"critical": "#7b1d1d", "high": "#d64545", "medium": "#e8a33d", "low": "#e6d36f",
                   "negligible": "#b8c4cc", "unknown": "#8a96a3"}
PALETTE = ("#2f6fb0", "#d9822b", "#3a9a5b", "#8e5ea2", "#c44e52", "#6b7f8e")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def short_name(name: str, limit: int = 30) -> str:
    """A chart label: without the registry host and `library/`, and cut in the middle (the tag stays readable)."""
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        name = rest
    name = name.removeprefix("library/")
    if len(name) <= limit:
        return name
    keep = limit - 1
    return name[: keep - keep // 2] + "…" + name[-(keep // 2):]


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
                  f'<title>{escape(label)}</title>{"".join(body)}</svg>')


def _empty(label: str, width: int = 480) -> Markup:
    return _svg(width, 40, [f'<text x="8" y="24" fill="#666">{escape(label)}: nothing to show</text>'], label)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def stacked_bars(rows: Sequence[tuple[str, Mapping[str, int]]], order: Sequence[str], label: str,
                 colors: Mapping[str, str] = SEVERITY_COLORS, width: int = 640) -> Markup:
    """One horizontal bar per row, split by `order`'s keys (severity distribution per image)."""
    if not rows:
        return _empty(label)
    left, bar, gap = 190, 14, 6
    top = 24
    height = top + len(rows) * (bar + gap) + 10
    peak = _nice_max(max(sum(counts.values()) for _, counts in rows))
    scale = (width - left - 50) / peak
    body = []
    x = left
    for key in order:  # legend
        body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colors.get(key, "#999")}"/>'
                    f'<text x="{x + 14}" y="13">{escape(key)}</text>')
        x += 14 + 7 * len(key) + 14
    for index, (name, counts) in enumerate(rows):
        y = top + index * (bar + gap)
        body.append(f'<text x="{left - 6}" y="{y + 11}" text-anchor="end">{escape(short_name(name, 30))}</text>')
        x0 = float(left)
        for key in order:
            value = counts.get(key, 0)
            if value:
                w = value * scale
                body.append(f'<rect class="bar" x="{x0:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar}" '
                            f'fill="{colors.get(key, "#999")}"><title>{escape(name)}: {value} {escape(key)}'
                            f'</title></rect>')
                x0 += w
        body.append(f'<text x="{x0 + 4:.1f}" y="{y + 11}" fill="#444">{sum(counts.values())}</text>')
    return _svg(width, height, body, label)


def bars(items: Sequence[tuple[str, float, str]], label: str, width: int = 640, unit: str = "") -> Markup:
    """Horizontal bars: (label, value, colour)."""
    if not items:
        return _empty(label)
    left, bar, gap, top = 200, 16, 6, 6
    height = top + len(items) * (bar + gap) + 6
    scale = (width - left - 60) / _nice_max(max(value for _, value, _ in items))
    body = []
    for index, (name, value, color) in enumerate(items):
        y = top + index * (bar + gap)
        w = max(value * scale, 1)
        body.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{escape(short_name(name, 32))}</text>'
                    f'<rect class="bar" x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{color}">'
                    f'<title>{escape(name)}: {value:g}{escape(unit)}</title></rect>'
                    f'<text x="{left + w + 4:.1f}" y="{y + 12}" fill="#444">{value:g}{escape(unit)}</text>')
    return _svg(width, height, body, label)


def _axes(body: list[str], left: int, top: int, plot_w: int, plot_h: int, x_max: float, y_max: float,
          x_label: str, y_label: str, x_ticks: Sequence[tuple[float, str]] | None = None) -> None:
    bottom = top + plot_h
    body.append(f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" stroke="#888"/>'
                f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>')
    for i in range(5):
        value = y_max * i / 4
        y = bottom - plot_h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eee"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    ticks = x_ticks if x_ticks is not None else [(x_max * i / 4, f"{x_max * i / 4:g}") for i in range(5)]
    for value, text in ticks:
        x = left + (plot_w * value / x_max if x_max else 0)
        body.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{escape(text)}</text>')
    body.append(f'<text x="{left + plot_w / 2:.1f}" y="{bottom + 32}" text-anchor="middle" fill="#333">'
                f'{escape(x_label)}</text>'
                f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" fill="#333" '
                f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')


def scatter(points: Sequence[tuple[float, float, str, str]], label: str, x_label: str, y_label: str,
            width: int = 640, height: int = 300) -> Markup:
    """(x, y, name, colour) dots: image age against vulnerability count."""
    if not points:
        return _empty(label)
    left, top, right, bottom = 56, 12, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = _nice_max(max(p[0] for p in points))
    y_max = _nice_max(max(p[1] for p in points))
    body: list[str] = []
    _axes(body, left, top, plot_w, plot_h, x_max, y_max, x_label, y_label)
    for x, y, name, color in points:
        cx = left + plot_w * x / x_max
        cy = top + plot_h - plot_h * y / y_max
        body.append(f'<circle class="dot" cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{color}" fill-opacity="0.75">'
                    f'<title>{escape(name)}: {x:g} days, {y:g} findings</title></circle>')
    return _svg(width, height, body, label)


def grouped_bars(groups: Sequence[tuple[str, Mapping[str, float]]], series: Sequence[str], label: str,
                 width: int = 640) -> Markup:
    """Vertical bars per group, one per series (default vs slim vs alpine of one repository)."""
    if not groups:
        return _empty(label)
    left, top, bottom = 48, 24, 40
    height = 240
    plot_w, plot_h = width - left - 16, height - top - bottom
    y_max = _nice_max(max((v for _, values in groups for v in values.values()), default=0))
    body: list[str] = []
    _axes(body, left, top, plot_w, plot_h, 1, y_max, "", "findings", x_ticks=[])
    x = left
    for index, name in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{color}"/>'
                    f'<text x="{x + 14}" y="13">{escape(name)}</text>')
        x += 14 + 7 * len(name) + 16
    slot = plot_w / len(groups)
    bar = max(min((slot - 12) / max(len(series), 1), 28), 3)
    for g, (name, values) in enumerate(groups):
        x0 = left + g * slot + (slot - bar * len(series)) / 2
        for index, key in enumerate(series):
            if key not in values:
                continue
            value = values[key]
            h = plot_h * value / y_max
            body.append(f'<rect class="bar" x="{x0 + index * bar:.1f}" y="{top + plot_h - h:.1f}" '
                        f'width="{bar - 1:.1f}" height="{max(h, 0.5):.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                        f'<title>{escape(name)} {escape(key)}: {value:g}</title></rect>')
        body.append(f'<text x="{left + g * slot + slot / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                    f'{escape(short_name(name, 14))}</text>')
    return _svg(width, height, body, label)


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], label: str, y_label: str,
               width: int = 640, height: int = 240) -> Markup:
    """One line per series over runs (trends)."""
    if not labels:
        return _empty(label)
    left, top, right, bottom = 56, 24, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max((v for values in series.values() for v in values), default=0))
    n = len(labels)

    def x_of(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    step = max(1, n // 6)
    ticks = [(i, labels[i]) for i in sorted({*range(0, n, step), n - 1})]
    body: list[str] = []
    _axes(body, left, top, plot_w, plot_h, 1, y_max, "run", y_label, x_ticks=[])
    for i, text in ticks:
        anchor = "end" if n > 1 and i == n - 1 else "start" if n > 1 and i == 0 else "middle"
        body.append(f'<text x="{x_of(i):.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}">{escape(text)}</text>')
    x = left
    for index, (name, values) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{color}"/>'
                    f'<text x="{x + 14}" y="13">{escape(name)}</text>')
        x += 14 + 7 * len(name) + 16
        points = " ".join(f"{x_of(i):.1f},{top + plot_h - plot_h * v / y_max:.1f}" for i, v in enumerate(values))
        body.append(f'<polyline class="line" points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        for i, v in enumerate(values):
            body.append(f'<circle cx="{x_of(i):.1f}" cy="{top + plot_h - plot_h * v / y_max:.1f}" r="3" '
                        f'fill="{color}"><title>{escape(labels[i])}: {v:g} {escape(name)}</title></circle>')
    return _svg(width, height, body, label)
