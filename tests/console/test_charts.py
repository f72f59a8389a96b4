"""Every chart the console draws is plain SVG: no script, no comment, named for screen readers."""

from __future__ import annotations

from massdm.console import charts


def test_a_chart_is_svg_without_scripts_with_its_title_as_its_name():
    chart = charts.bar(style=charts.style("#123456"))
    chart.x_labels = ["a", "b"]
    chart.add("views", [1, 2])
    drawn = charts.svg(chart, "Views & purchases")
    assert drawn.startswith("<svg ")
    assert 'role="img" aria-label="Views &amp; purchases"' in drawn
    assert "<script" not in drawn and "<!--" not in drawn and "<?xml" not in drawn
    assert "kozea" not in drawn  # pygal's own script host is never named
