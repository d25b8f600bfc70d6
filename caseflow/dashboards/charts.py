"""Charts drawn on the server as SVG markup: no JavaScript, the same markup for the same figures.

Each chart is one image for assistive technology (``role="img"`` with a ``<title>`` and a
``<desc>`` that reads out its numbers); the page prints the same numbers beside it in a table,
so nothing is only in the picture. Colours are presentation attributes (the page's CSP allows
no inline style) taken from the Digital Agency design tokens (static/vendor/…/tokens.css);
series are also told apart by dash pattern and marker shape, not by colour alone.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from markupsafe import Markup, escape

# Design tokens (tokens.css).
TEXT = "#333333"  # --color-neutral-solid-gray-800
MUTED = "#666666"  # --color-neutral-solid-gray-600
GRID = "#cccccc"  # --color-neutral-solid-gray-200
BAR = "#0031d8"  # --color-primitive-blue-800
# Series colours, dark enough for white text on them (A/B/C: green, orange, red as the case pages).
SERIES_COLOURS = (
    "#0031d8",  # --color-primitive-blue-800
    "#c74700",  # --color-primitive-orange-800
    "#ce0000",  # --color-primitive-red-900
    "#666666",  # --color-neutral-solid-gray-600
    "#197a4b",  # --color-primitive-green-800
    "#08351f",  # --color-primitive-green-1100
    "#006f83",  # --color-primitive-cyan-900
    "#6e5600",  # --color-primitive-yellow-1100
)
GRADE_COLOURS = ("#197a4b", "#c74700", "#ce0000")  # green-800, orange-800, red-900
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4", "3 6")
MARKERS = ("circle", "square", "diamond", "triangle")

FONT_SIZE = 13
SMALL_FONT = 12


def _n(value: float) -> str:
    """A coordinate, rounded to a tenth, without a trailing .0 (stable text for the same figures)."""
    text = f"{round(value, 1):.1f}"
    return text[:-2] if text.endswith(".0") else text


def _count(value: int, unit: str = "") -> str:
    return f"{value:,}{unit}"


def _esc(text: object) -> str:
    return str(escape(str(text)))


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimated rendered width: full-width characters (kanji, kana) one em, others about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def _fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """``text`` cut with an ellipsis so that it fits in ``width``."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def nice_ticks(maximum: int, count: int = 5) -> list[int]:
    """Round tick values from 0 to at least ``maximum`` (steps of 1, 2 or 5 × 10ⁿ, whole numbers)."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


def _svg(chart_id: str, title: str, desc: str, width: float, height: float, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_esc(chart_id)}" role="img" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'aria-labelledby="{_esc(chart_id)}-title" aria-describedby="{_esc(chart_id)}-desc" '
        f'font-size="{FONT_SIZE}" fill="{TEXT}">'
        f'<title id="{_esc(chart_id)}-title">{_esc(title)}</title>'
        f'<desc id="{_esc(chart_id)}-desc">{_esc(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _summary(pairs: Sequence[tuple[str, str]]) -> str:
    return "、".join(f"{label}：{value}" for label, value in pairs) if pairs else "データはありません"


# --- horizontal bars -----------------------------------------------------------------------------


def bar_chart(title: str, bars: Sequence[tuple[str, int]], *, chart_id: str, unit: str = "件",
              desc: str | None = None, width: int = 640, colour: str = BAR) -> Markup:
    """Horizontal bars, one per (label, value), with the value printed at the end of each bar.

    Labels too long for the label column are cut with 「…」; the full label stays in the
    bar's tooltip and in the description, and the page's table shows it whole.
    """
    row, bar_h, top = 28, 18, 4
    label_w = min(max((text_width(label) for label, _ in bars), default=0) + 8, width * 0.4)
    value_w = max((text_width(_count(v, unit)) for _, v in bars), default=0) + 8
    plot_w = max(width - label_w - value_w, 40)
    largest = max((v for _, v in bars), default=0)
    height = top * 2 + row * max(len(bars), 1)
    body = []
    if not bars:
        body.append(f'<text x="0" y="{_n(top + row / 2 + 4)}" fill="{MUTED}">データはありません</text>')
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        length = plot_w * value / largest if largest else 0
        text_y = _n(y + row / 2 + 4)
        body.append(
            f'<g><title>{_esc(label)}：{_count(value, unit)}</title>'
            f'<text x="{_n(label_w - 8)}" y="{text_y}" text-anchor="end">{_esc(_fit(label, label_w - 8))}</text>'
            f'<rect x="{_n(label_w)}" y="{_n(y + (row - bar_h) / 2)}" width="{_n(length)}" height="{bar_h}" '
            f'fill="{colour}"/>'
            f'<text x="{_n(label_w + length + 6)}" y="{text_y}">{_count(value, unit)}</text></g>'
        )
    body.append(f'<line x1="{_n(label_w)}" y1="{top}" x2="{_n(label_w)}" y2="{_n(height - top)}" stroke="{MUTED}"/>')
    summary = desc or _summary([(label, _count(value, unit)) for label, value in bars])
    return _svg(chart_id, title, summary, width, height, body)


# --- 100% stacked bars ---------------------------------------------------------------------------


def shares(values: Sequence[int]) -> list[float]:
    """Each value's share of their sum, in percent (all 0 when the sum is 0)."""
    whole = sum(values)
    return [100 * v / whole if whole else 0.0 for v in values]


def stacked_bar_chart(title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]], *,
                      chart_id: str, unit: str = "件", desc: str | None = None, width: int = 640,
                      colours: Sequence[str] = GRADE_COLOURS) -> Markup:
    """One bar per row split into the shares of each series (A/B/C), each row's total at its end.

    A segment wide enough shows its percentage inside; the legend names the series above the bars.
    """
    row, bar_h, legend_h = 30, 20, 26
    label_w = min(max((text_width(label) for label, _ in rows), default=0) + 8, width * 0.35)
    total_w = max((text_width("計" + _count(sum(v), unit)) for _, v in rows), default=0) + 10
    plot_w = max(width - label_w - total_w, 60)
    height = legend_h + row * max(len(rows), 1) + 4
    body = [_legend(series, colours, x=label_w, y=4, width=plot_w + total_w, swatch="rect")]
    if not rows:
        body.append(f'<text x="0" y="{legend_h + 18}" fill="{MUTED}">データはありません</text>')
    descs = []
    for i, (label, values) in enumerate(rows):
        y = legend_h + i * row
        text_y = _n(y + row / 2 + 4)
        parts = [f'<g><text x="{_n(label_w - 8)}" y="{text_y}" text-anchor="end">{_esc(_fit(label, label_w - 8))}</text>']
        x = label_w
        row_shares = shares(values)
        for j, (value, share) in enumerate(zip(values, row_shares, strict=True)):
            seg = plot_w * share / 100
            if seg <= 0:
                continue
            colour = colours[j % len(colours)]
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y + (row - bar_h) / 2)}" width="{_n(seg)}" height="{bar_h}" fill="{colour}">'
                f'<title>{_esc(label)} {_esc(series[j])}：{_count(value, unit)}（{share:.1f}%）</title></rect>'
            )
            text = f"{share:.0f}%"
            if seg >= text_width(text, SMALL_FONT) + 6:
                parts.append(f'<text x="{_n(x + seg / 2)}" y="{text_y}" text-anchor="middle" fill="#ffffff" '
                             f'font-size="{SMALL_FONT}">{text}</text>')
            x += seg
        parts.append(f'<text x="{_n(label_w + plot_w + 6)}" y="{text_y}">計{_count(sum(values), unit)}</text></g>')
        body.append("".join(parts))
        descs.append(f"{label}（計{_count(sum(values), unit)}）" + "・".join(
            f"{name} {_count(v, unit)}（{s:.1f}%）" for name, v, s in zip(series, values, row_shares, strict=True)))
    return _svg(chart_id, title, desc or ("。".join(descs) or "データはありません"), width, height, body)


# --- lines over time -----------------------------------------------------------------------------


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *,
               chart_id: str, unit: str = "件", desc: str | None = None, width: int = 720,
               height: int = 320) -> Markup:
    """Counts over time: one polyline per series over the same x positions, with axes, ticks and a legend.

    Each series has its own colour, dash pattern and marker, so the lines are told apart in greyscale.
    """
    names = [name for name, _ in series]
    ticks = nice_ticks(max((max(values, default=0) for _, values in series), default=0))
    left = max(text_width(_count(ticks[-1]), SMALL_FONT) + 12, 36)
    right, top = 16, 10
    legend_rows = math.ceil(len(series) / 4) if series else 0
    bottom = 28 + legend_rows * 22
    plot_w, plot_h = width - left - right, height - top - bottom
    points = len(x_labels)

    def px(i: int) -> float:
        return left + (plot_w * i / (points - 1) if points > 1 else plot_w / 2)

    def py(v: int) -> float:
        return top + plot_h - plot_h * v / ticks[-1]

    body = [f'<g font-size="{SMALL_FONT}">']
    for t in ticks:
        y = _n(py(t))
        body.append(f'<line x1="{_n(left)}" y1="{y}" x2="{_n(left + plot_w)}" y2="{y}" stroke="{GRID}"/>'
                    f'<text x="{_n(left - 6)}" y="{_n(py(t) + 4)}" text-anchor="end">{_count(t)}</text>')
    widest = max((text_width(label, SMALL_FONT) for label in x_labels), default=0) + 8
    every = max(1, math.ceil(widest / (plot_w / (points - 1)))) if points > 1 else 1
    for i, label in enumerate(x_labels):
        # The last point (today) is always labelled; others as many as fit.
        if (points - 1 - i) % every:
            continue
        x = _n(px(i))
        body.append(f'<line x1="{x}" y1="{_n(top + plot_h)}" x2="{x}" y2="{_n(top + plot_h + 4)}" stroke="{MUTED}"/>'
                    f'<text x="{x}" y="{_n(top + plot_h + 18)}" text-anchor="middle">{_esc(label)}</text>')
    body.append(f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(left + plot_w)}" y2="{_n(top + plot_h)}" '
                f'stroke="{MUTED}"/><line x1="{_n(left)}" y1="{top}" x2="{_n(left)}" y2="{_n(top + plot_h)}" '
                f'stroke="{MUTED}"/></g>')
    for k, (name, values) in enumerate(series):
        colour, dash = SERIES_COLOURS[k % len(SERIES_COLOURS)], DASHES[k % len(DASHES)]
        coords = [(px(i), py(v)) for i, v in enumerate(values)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(f'<g><title>{_esc(name)}</title><polyline fill="none" stroke="{colour}" stroke-width="2"{dash_attr} '
                    f'points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in coords)}"/>'
                    + "".join(_marker(MARKERS[k % len(MARKERS)], x, y, colour) for x, y in coords) + "</g>")
    body.append(_legend(names, SERIES_COLOURS, x=left, y=height - legend_rows * 22, width=plot_w, swatch="line"))
    summary = desc or "。".join(
        f"{name}：" + "、".join(f"{label} {_count(v, unit)}" for label, v in zip(x_labels, values, strict=True))
        for name, values in series) or "データはありません"
    return _svg(chart_id, title, summary, width, height, body)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{_n(x - 3)}" y="{_n(y - 3)}" width="6" height="6" fill="{colour}"/>'
    if shape == "diamond":
        return (f'<polygon points="{_n(x)},{_n(y - 4)} {_n(x + 4)},{_n(y)} {_n(x)},{_n(y + 4)} {_n(x - 4)},{_n(y)}" '
                f'fill="{colour}"/>')
    if shape == "triangle":
        return (f'<polygon points="{_n(x)},{_n(y - 4)} {_n(x + 4)},{_n(y + 3)} {_n(x - 4)},{_n(y + 3)}" '
                f'fill="{colour}"/>')
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{colour}"/>'


def _legend(names: Sequence[str], colours: Sequence[str], *, x: float, y: float, width: float, swatch: str) -> str:
    """The series' names in rows of up to four, each after a swatch in its colour (and dash, for lines)."""
    per_row = 4
    column = width / per_row
    parts = ['<g class="chart__legend">']
    for k, name in enumerate(names):
        cx, cy = x + (k % per_row) * column, y + (k // per_row) * 22
        colour = colours[k % len(colours)]
        if swatch == "line":
            dash = DASHES[k % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<line x1="{_n(cx)}" y1="{_n(cy + 9)}" x2="{_n(cx + 24)}" y2="{_n(cy + 9)}" '
                         f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
                         + _marker(MARKERS[k % len(MARKERS)], cx + 12, cy + 9, colour))
            text_x = cx + 30
        else:
            parts.append(f'<rect x="{_n(cx)}" y="{_n(cy + 3)}" width="12" height="12" fill="{colour}"/>')
            text_x = cx + 18
        parts.append(f'<text x="{_n(text_x)}" y="{_n(cy + 14)}">{_esc(_fit(name, column - (text_x - cx) - 4))}</text>')
    parts.append("</g>")
    return "".join(parts)
