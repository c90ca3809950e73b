"""Charts as inline SVG drawn in Python: no script, no external file, readable by screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR = "#3559c7"
WIDTH = 640


def _svg(width: int, height: int, label: str, body: list[str], shown: str = "100%") -> Markup:
    # NOTE: every text inside is escaped here; the result is marked safe for the autoescaping template.
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{shown}" role="img" '
        f'aria-label="{escape(label)}" class="chart"><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


def bar_chart(rows: Sequence[tuple[str, int]], label: str, unit: str = "") -> Markup:
    """Horizontal bars, one per row, the value written at the end of each bar."""
    row_height, label_width = 26, 250
    height = row_height * len(rows) + 8
    top = max((value for _, value in rows), default=0) or 1
    body = []
    for n, (name, value) in enumerate(rows):
        y = 4 + n * row_height
        length = round((WIDTH - label_width - 60) * value / top)
        body.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" class="chart-label">{escape(name)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{max(length, 1)}" height="{row_height - 8}" rx="3" '
            f'fill="{BAR}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 17}" class="chart-value">{value}{escape(unit)}</text>'
        )
    return _svg(WIDTH, height, label, body)


def histogram(bins: Sequence[tuple[str, int]], label: str) -> Markup:
    """Vertical bars over labelled bins, counts above the bars."""
    height, bottom, left = 200, 28, 8
    usable = height - bottom - 22
    top = max((count for _, count in bins), default=0) or 1
    slot = (WIDTH - 2 * left) / max(len(bins), 1)
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - left}" y2="{height - bottom}" class="axis"/>']
    for n, (name, count) in enumerate(bins):
        bar = round(usable * count / top)
        x = left + n * slot
        body.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{height - bottom - bar}" width="{slot * 0.7:.1f}" height="{bar}" '
            f'rx="2" fill="{BAR}"/>'
            f'<text x="{x + slot / 2:.1f}" y="{height - bottom - bar - 5}" text-anchor="middle" '
            f'class="chart-value">{count}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{height - 9}" text-anchor="middle" class="chart-label">{escape(name)}</text>'
        )
    return _svg(WIDTH, height, label, body)


def line_chart(points: Sequence[tuple[str, int]], label: str, maximum: int = 100) -> Markup:
    """A line over time (oldest first), each point labelled with its value."""
    height, bottom, left = 200, 28, 48
    usable = height - bottom - 24
    step = (WIDTH - 2 * left) / max(len(points) - 1, 1)
    coords = [(left + n * step, height - bottom - usable * value / maximum) for n, (_, value) in enumerate(points)]
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - left}" y2="{height - bottom}" class="axis"/>']
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2.5"/>')
    for (x, y), (name, value) in zip(coords, points, strict=True):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>'
            f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" class="chart-value">{value}</text>'
            f'<text x="{x:.1f}" y="{height - 9}" text-anchor="middle" class="chart-label">{escape(name)}</text>'
        )
    return _svg(WIDTH, height, label, body)


BAND_COLOURS = {"healthy": "#067647", "needs attention": "#9a5b00", "unhealthy": "#b42318"}


def gauge(score: int, band: str) -> Markup:
    """The health score as a ring filled to the score, coloured by its band."""
    radius, width = 52, 12
    circumference = 2 * 3.14159265 * radius
    filled = circumference * max(0, min(score, 100)) / 100
    colour = BAND_COLOURS.get(band, BAR)
    body = [
        f'<circle cx="64" cy="64" r="{radius}" fill="none" stroke="#e4e7ec" stroke-width="{width}"/>',
        (
            f'<circle cx="64" cy="64" r="{radius}" fill="none" stroke="{colour}" stroke-width="{width}" '
            f'stroke-dasharray="{filled:.1f} {circumference:.1f}" transform="rotate(-90 64 64)" stroke-linecap="round"/>'
        ),
        f'<text x="64" y="72" text-anchor="middle" class="gauge-value">{score}</text>',
    ]
    return _svg(128, 128, f"Health score {score} of 100: {band}", body, shown="128")
