"""The server-drawn SVG charts take their colours from portal.css's variables, in a real browser."""

from datetime import date
from pathlib import Path

from runs_app.charts import DayCount, GraphNode, job_graph, runs_per_day

STYLESHEET = (Path(__file__).resolve().parents[2] / "static/css/portal.css").read_text()


def test_the_charts_paint_with_the_stylesheet_s_colours(browser):
    graph = job_graph([GraphNode("load", "succeeded"), GraphNode("clean", "running")])
    per_day = runs_per_day([DayCount(date(2026, 11, 1), succeeded=2, failed=1)])
    page = browser.new_page()
    try:
        page.set_content(f"<style>{STYLESHEET}</style>{graph}{per_day}")

        def painted(selector, what):
            return page.eval_on_selector(selector, f"e => getComputedStyle(e).{what}")

        # the node boxes: --ok-bg and --ok; --accent and --accent-strong; white text on blue
        assert painted('[data-node="load"] rect', "fill") == "rgb(220, 243, 229)"
        assert painted('[data-node="load"] rect', "stroke") == "rgb(31, 138, 76)"
        assert painted('[data-node="clean"] rect', "fill") == "rgb(36, 87, 197)"
        assert painted('[data-node="clean"] rect', "stroke") == "rgb(26, 63, 145)"
        assert painted('[data-node="clean"] text', "fill") == "rgb(255, 255, 255)"
        # the day's bars: succeeded (--ok) under failed (--bad)
        bars = page.eval_on_selector_all(
            "svg.per-day rect", "rs => rs.map(r => getComputedStyle(r).fill)"
        )
        assert bars == ["rgb(31, 138, 76)", "rgb(197, 48, 48)"]
    finally:
        page.close()
