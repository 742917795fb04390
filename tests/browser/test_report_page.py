"""A generated report opened from disk in headless Chromium with every non-file request blocked.

The report is built from the display fixture (an Altair chart with tooltip, brush and a slider bound
to an input, a table whose post text is ``<script>alert(1)</script> hello`` and a widget panel) by
:func:`toolkit.report.build_report`. Checks: every chart drew an svg/canvas, no console errors,
nothing outside the file requested, the ``<script>`` post text is shown as text and never run (no
dialog), the tooltip and the bound slider work without Python, and the panel shows its current
results as static output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.report import build_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURE_NOTEBOOK = Path(__file__).with_name("display_fixture.ipynb")
SCRIPT_TEXT = "<script>alert(1)</script> hello"


@pytest.fixture(scope="module")
def report(browser, tmp_path_factory) -> Path:
    # `browser` first: skip (or fail in CI) before spending time on a report no browser can open
    return build_report(FIXTURE_NOTEBOOK, tmp_path_factory.mktemp("report"))


def _open(guarded_page, page_path: Path):
    page, guard = guarded_page(("file://",))
    page.goto(page_path.as_uri())
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('.engagement-lab-chart');"
        " return c.length > 0 && Array.from(c).every(e => e.querySelector('svg, canvas')); }",
        timeout=30_000,
    )
    return page, guard


def test_report_renders_offline_without_console_errors(report, guarded_page, output_dir):
    page, guard = _open(guarded_page, report)
    page.wait_for_timeout(500)
    page.screenshot(path=str(output_dir / "report-display_fixture.png"), full_page=True)
    charts = page.locator(".engagement-lab-chart")
    assert charts.count() == 2  # the concatenated chart and the panel's chart
    for i in range(charts.count()):
        assert charts.nth(i).locator("svg, canvas").count() >= 1, f"chart {i} not rendered"
    assert guard.blocked == [], f"report requested other hosts: {guard.blocked}"
    assert guard.console_errors == [], guard.console_errors
    assert "Chart failed" not in page.inner_text("body")


def test_report_shows_script_post_text_as_text(report, guarded_page):
    page, guard = _open(guarded_page, report)
    cells = page.locator("table td", has_text=SCRIPT_TEXT)
    assert cells.count() >= 1
    assert all(cells.nth(i).inner_text().strip() == SCRIPT_TEXT for i in range(cells.count()))
    assert guard.dialogs == []  # alert(1) never ran
    # the only <script> elements are ours: the bundle in <head> and one per chart
    sources = page.evaluate("() => Array.from(document.scripts).map(s => s.text)")
    assert not any("alert(1)" in s and "vegaEmbed(el" not in s for s in sources)


def test_report_keeps_altair_interactivity(report, guarded_page):
    page, guard = _open(guarded_page, report)
    chart = page.locator(".engagement-lab-chart").first
    # tooltip: hover a point of the scatter layer
    point = chart.locator("g.mark-symbol path").first
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5_000)
    assert "likes" in tooltip.inner_text()
    # the slider bound to `min_likes` filters points in the browser, without a kernel
    before = chart.locator("g.mark-symbol path").count()
    slider = chart.locator(".vega-bindings input[type=range]")
    assert slider.count() == 1
    slider.fill("22")
    page.wait_for_timeout(500)
    after = chart.locator("g.mark-symbol path").count()
    assert 0 < after < before
    assert guard.console_errors == []


def test_report_shows_panel_as_static_results(report):
    text = report.read_text(encoding="utf-8")
    # the panel's controls and current results are plain HTML; no widget views or widget state
    assert "engagement-lab-controls" in text and "Metric" in text
    assert "application/vnd.jupyter.widget-view+json" not in text
    assert "application/vnd.jupyter.widget-state+json" not in text
