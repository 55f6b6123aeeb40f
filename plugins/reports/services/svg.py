"""Charts drawn as SVG on the server, for the PDF exports (WeasyPrint draws
SVG; no script runs there): the same two series the page's chart shows."""
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 60, 30, 10


def _points(values, peak, count):
    step = (WIDTH - LEFT - 10) / max(count - 1, 1)
    plot = HEIGHT - BOTTOM - TOP
    return " ".join(f"{LEFT + i * step:.1f},{TOP + plot - plot * float(Decimal(v) / peak):.1f}"
                    for i, v in enumerate(values))


def line_chart(labels, current, previous, title, current_name, previous_name):
    """``current`` and ``previous`` per label as polylines, with the peak
    value on the axis and the first and last labels under it."""
    peak = max([Decimal(v) for v in list(current) + list(previous)] + [Decimal(0)]) or Decimal(1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - 10}" y2="{HEIGHT - BOTTOM}" stroke="#999"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#999"/>',
             f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="9" text-anchor="end">{escape(f"{peak:,.0f}")}</text>',
             f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" font-size="9" text-anchor="end">0</text>']
    if labels:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - BOTTOM + 14}" font-size="9">{escape(labels[0])}</text>')
        parts.append(f'<text x="{WIDTH - 10}" y="{HEIGHT - BOTTOM + 14}" font-size="9" text-anchor="end">'
                     f'{escape(labels[-1])}</text>')
    count = len(labels)
    if previous:
        parts.append(f'<polyline fill="none" stroke="#999" stroke-dasharray="4 3" stroke-width="1.5" '
                     f'points="{_points(previous, peak, count)}"/>')
    parts.append(f'<polyline fill="none" stroke="#2c6fbb" stroke-width="2" points="{_points(current, peak, count)}"/>')
    parts.append(f'<rect x="{LEFT + 10}" y="{HEIGHT - 10}" width="10" height="3" fill="#2c6fbb"/>'
                 f'<text x="{LEFT + 24}" y="{HEIGHT - 6}" font-size="9">{escape(current_name)}</text>'
                 f'<rect x="{LEFT + 170}" y="{HEIGHT - 10}" width="10" height="3" fill="#999"/>'
                 f'<text x="{LEFT + 184}" y="{HEIGHT - 6}" font-size="9">{escape(previous_name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
