"""Server-side SVG bar charts for the Relazione: no JavaScript, sharp in the PDF, with a text alternative.

Horizontal bars coloured by band, the value printed on each bar and a dashed line at 100 % (relazione.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from perfplan.formats import percent_it

BAND_COLOURS = {"raggiunto": "#00805a", "parziale": "#b86e00", "non_raggiunto": "#c0262d", "nd": "#8a8f96"}
BAND_SYMBOLS = {"raggiunto": "✔", "parziale": "◐", "non_raggiunto": "✖", "nd": "–"}


@dataclass(frozen=True)
class Bar:
    label: str
    score: Decimal | None
    band: str
    group: bool = False  # a group heading row (e.g. the Area above its OS): bold label
    indent: bool = False


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart_svg(bars: list[Bar], *, title: str, width: int = 700, label_width: int = 300) -> str:
    """An accessible SVG: role="img", <title> and <desc> listing every value."""
    row = 22
    top, bottom = 8, 26
    plot_left = label_width + 10
    plot_width = width - plot_left - 85
    top_value = max([Decimal(100), *[b.score for b in bars if b.score is not None]])
    scale = plot_width / float(top_value)
    height = top + row * len(bars) + bottom
    desc = "; ".join(f"{b.label}: {percent_it(b.score)}" for b in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="t" font-family="Titillium Web, DejaVu Sans, sans-serif">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        label = _clip(bar.label, 52 if not bar.indent else 50)
        x_label = label_width - (0 if not bar.indent else 0)
        weight = ' font-weight="bold"' if bar.group else ""
        parts.append(
            f'<text x="{x_label}" y="{y + 15}" font-size="11" text-anchor="end"{weight} fill="#1a1a1a">'
            f"{escape(label)}</text>"
        )
        colour = BAND_COLOURS.get(bar.band, BAND_COLOURS["nd"])
        if bar.score is None:
            parts.append(f'<text x="{plot_left + 4}" y="{y + 15}" font-size="11" fill="#5c5f63">N/D</text>')
            continue
        length = max(1.0, float(bar.score) * scale)
        parts.append(
            f'<rect x="{plot_left}" y="{y + 3}" width="{length:.1f}" height="{row - 7}" fill="{colour}" rx="2"/>'
        )
        symbol = BAND_SYMBOLS.get(bar.band, "")
        x_text = max(plot_left + length, plot_left + 100 * scale) + 5  # never across the 100 % line
        parts.append(
            f'<text x="{x_text:.1f}" y="{y + 15}" font-size="11" fill="#1a1a1a">'
            f"{escape(percent_it(bar.score))} {symbol}</text>"
        )
    x100 = plot_left + 100 * scale
    axis_y = top + row * len(bars)
    parts.append(
        f'<line x1="{x100:.1f}" y1="{top - 2}" x2="{x100:.1f}" y2="{axis_y + 2}" stroke="#1a1a1a" '
        'stroke-width="1" stroke-dasharray="4 3"/>'
    )
    parts.append(f'<line x1="{plot_left}" y1="{axis_y}" x2="{plot_left + plot_width}" y2="{axis_y}" stroke="#8a8f96"/>')
    for tick in (0, 50, 100):
        x = plot_left + tick * scale
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="10" text-anchor="middle" fill="#5c5f63">{tick} %</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
