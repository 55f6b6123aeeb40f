"""A horizontal bar chart drawn as inline SVG on the server: no script, no
asset from outside the portal."""
from markupsafe import Markup, escape

BAR, GAP, LABEL, WIDTH = 18, 6, 130, 420


def bar_chart(rows, title):
    """``rows`` is ``[(label, count)]``; returns the ``<svg>`` markup."""
    peak = max((count for _label, count in rows), default=0) or 1
    height = len(rows) * (BAR + GAP) + GAP
    parts = [f'<svg role="img" aria-label="{escape(title)}" width="{LABEL + WIDTH + 70}" height="{height}" '
             f'viewBox="0 0 {LABEL + WIDTH + 70} {height}" xmlns="http://www.w3.org/2000/svg" '
             f'data-testid="rfm-chart"><title>{escape(title)}</title>']
    for i, (label, count) in enumerate(rows):
        y = GAP + i * (BAR + GAP)
        width = round(WIDTH * count / peak)
        parts.append(f'<text x="{LABEL - 6}" y="{y + BAR - 5}" text-anchor="end" font-size="12">{escape(label)}</text>'
                     f'<rect x="{LABEL}" y="{y}" width="{width}" height="{BAR}" fill="#5b8dd6"></rect>'
                     f'<text x="{LABEL + width + 6}" y="{y + BAR - 5}" font-size="12">{count:,}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
