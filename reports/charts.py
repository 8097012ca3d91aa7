"""Charts as inline SVG, drawn in Python on the server (no JavaScript, nothing fetched); labels are escaped."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reports.sections import Chart

WIDTH = 680
BAR_COLOUR = "#2b6cb0"
AXIS_COLOUR = "#4a5568"
GRID_COLOUR = "#e2e8f0"


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (axis tops read well)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _n(value: float) -> str:
    """Coordinates with two decimals (format_html escapes its arguments, so numbers arrive as text)."""
    return f"{value:.2f}"


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _svg(height: int, label: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}" class="chart"><title>{}</title>{}</svg>',
        WIDTH, height, WIDTH, height, label, label, body,
    )  # fmt: skip


def daily_bars(chart: Chart, height: int = 190) -> SafeString:
    """Vertical bars, one a day, with a 0 / half / top axis and the first, middle and last day labelled."""
    left, right, top, bottom = 52, 8, 10, 26
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [value for _, value in chart.points]
    top_value = _nice_max(max(values, default=0))
    parts: list[SafeString] = []
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        tick = top_value * fraction
        parts.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="0.6"/>'
            '<text x="{}" y="{}" font-size="8" text-anchor="end" fill="{}">{}</text>',
            left, _n(y), WIDTH - right, _n(y), GRID_COLOUR, left - 4, _n(y + 3), AXIS_COLOUR,
            f"{int(tick):,}" if tick == int(tick) else f"{tick:,.1f}",
        ))  # fmt: skip
    count = max(len(values), 1)
    slot = plot_w / count
    gap = slot * 0.15 if slot > 3 else 0
    for index, value in enumerate(values):
        bar_h = plot_h * value / top_value
        x = left + index * slot + gap / 2
        parts.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
            _n(x), _n(top + plot_h - bar_h), _n(max(slot - gap, 0.5)), _n(bar_h), BAR_COLOUR,
        ))  # fmt: skip
    labelled = sorted({0, len(values) // 2, len(values) - 1}) if values else []
    for index in labelled:
        anchor = "start" if index == 0 else "end" if index == len(values) - 1 else "middle"
        x = left + index * slot + (0 if anchor == "start" else slot if anchor == "end" else slot / 2)
        parts.append(format_html(
            '<text x="{}" y="{}" font-size="8" text-anchor="{}" fill="{}">{}</text>',
            _n(x), height - 8, anchor, AXIS_COLOUR, chart.points[index][0],
        ))  # fmt: skip
    parts.append(format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="0.8"/>',
        left, top + plot_h, WIDTH - right, top + plot_h, AXIS_COLOUR,
    ))  # fmt: skip
    return _svg(height, chart.title, _join(parts))


def horizontal_bars(chart: Chart, row_height: int = 16, limit: int = 20) -> SafeString:
    """One labelled bar a category, largest first, with its count at the end of the bar."""
    points = chart.points[:limit]
    label_w, value_w, top = 190, 70, 4
    plot_w = WIDTH - label_w - value_w
    height = top * 2 + row_height * max(len(points), 1)
    top_value = max((value for _, value in points), default=0) or 1
    parts: list[SafeString] = []
    for index, (label, value) in enumerate(points):
        y = top + index * row_height
        bar_w = plot_w * value / top_value
        shown = label if len(label) <= 34 else label[:33] + "…"
        parts.append(format_html(
            '<text x="{}" y="{}" font-size="8.5" text-anchor="end" fill="{}">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
            '<text x="{}" y="{}" font-size="8.5" fill="{}">{}</text>',
            label_w - 6, y + row_height - 5, AXIS_COLOUR, shown,
            label_w, y + 2, _n(max(bar_w, 0.5)), row_height - 4, BAR_COLOUR,
            _n(label_w + bar_w + 4), y + row_height - 5, AXIS_COLOUR, f"{value:,}",
        ))  # fmt: skip
    if not points:
        parts.append(format_html('<text x="{}" y="{}" font-size="9" fill="{}">No data in the period.</text>',
                                 label_w, top + row_height - 5, AXIS_COLOUR))  # fmt: skip
    return _svg(height, chart.title, _join(parts))


def render(chart: Chart) -> SafeString:
    return daily_bars(chart) if chart.kind == "daily" else horizontal_bars(chart)
