"""The console's charts: pygal draws them on the server as SVG, and this is how every page embeds one.

`svg(chart, title)` renders a pygal chart for inlining in a page: no XML declaration, no script (pygal
writes its tooltips' configuration as an inline script even with `js=[]`; the console runs no chart
script), no comments, and `role="img"` with the title as its accessible name. Each chart stands beside
a table of its numbers (the templates'), which is what a screen reader reads.
"""

from __future__ import annotations

import re
from html import escape

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TYPE = {"font_family": "system-ui, sans-serif", "label_font_size": 12, "major_label_font_size": 12,
         "value_font_size": 12, "tooltip_font_size": 12, "legend_font_size": 13, "title_font_size": 14}


def style(*colors: str, **more: object) -> Style:
    """Transparent, in the console's type, in `colors` (one per series)."""
    return Style(background="transparent", plot_background="transparent", colors=colors, **{**_TYPE, **more})


def bar(**options: object) -> pygal.Bar:
    """A pygal bar chart set up for the console (no scripts, no XML declaration); `options` as pygal's."""
    return pygal.Bar(js=[], disable_xml_declaration=True, include_x_axis=True, truncate_label=-1, **options)


def svg(chart: pygal.Graph, title: str) -> str:
    drawn = _COMMENT.sub("", _SCRIPT.sub("", chart.render(is_unicode=True)))
    return drawn.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
