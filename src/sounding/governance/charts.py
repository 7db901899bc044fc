"""Inline SVG charts for the self-contained HTML reports (quality, compliance): no script,
no external resources, readable without a browser's help (each bar has a title)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

LABEL_WIDTH = 120
TRACK_WIDTH = 300
ROW_HEIGHT = 26
BAR_HEIGHT = 18


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float  # drawn as value / top of the track
    shown: str  # the figure written after the bar
    color: str


def bar_chart(bars: Sequence[Bar], *, top: float, title: str) -> str:
    """Horizontal bars on a common scale ``0..top``, each on an outlined track."""
    top = top or 1.0
    height = ROW_HEIGHT * len(bars) + 10
    width = LABEL_WIDTH + TRACK_WIDTH + 100
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    for i, bar in enumerate(bars):
        y = 5 + i * ROW_HEIGHT
        filled = TRACK_WIDTH * max(0.0, min(bar.value / top, 1.0))
        label, shown = escape(bar.label), escape(bar.shown)
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{label}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{filled:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{bar.color}"><title>{label}: {shown}</title></rect>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{TRACK_WIDTH}" height="{BAR_HEIGHT}" '
            'fill="none" stroke="#ccc"/>'
            f'<text x="{LABEL_WIDTH + TRACK_WIDTH + 10}" y="{y + 14}" font-size="12">{shown}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
