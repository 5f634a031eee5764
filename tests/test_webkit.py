"""The shared web kit: page or fragment, and the components every page uses instead of copies."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from pipelines_app.models import Status
from runs_app.models import NODE_STATES, SLA_STATUSES, STATUSES
from webkit.responses import fragment_for, respond

ROOT = Path(settings.BASE_DIR)
STYLESHEET = (ROOT / "static/css/portal.css").read_text()
STATUS_WORDS = sorted(
    {s for s, _ in STATUSES + NODE_STATES + SLA_STATUSES if s != "none"} | set(Status.values)
)
# A hex colour, unless it is a selector (#rows) in an attribute that takes one.
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})(?![\w-])")
SELECTOR_ATTRIBUTE = re.compile(r'(?:href|hx-target|hx-select|hx-include|hx-indicator|for)="$')


def _htmx_request(target=None, boosted=False):
    headers = {"HTTP_HX_REQUEST": "true"}
    if target:
        headers["HTTP_HX_TARGET"] = target
    if boosted:
        headers["HTTP_HX_BOOSTED"] = "true"
    request = RequestFactory().get("/", **headers)
    request.htmx = HtmxDetails(request)
    return request


def _plain_request():
    request = RequestFactory().get("/")
    request.htmx = HtmxDetails(request)
    return request


FRAGMENTS = {"run-table": "table.html", "row-": "row.html"}


def test_a_plain_or_boosted_request_gets_the_page():
    assert fragment_for(_plain_request(), FRAGMENTS) is None
    assert fragment_for(_htmx_request("run-table", boosted=True), FRAGMENTS) is None


def test_an_htmx_request_gets_the_fragment_of_its_target_or_its_prefix():
    assert fragment_for(_htmx_request("run-table"), FRAGMENTS) == "table.html"
    assert fragment_for(_htmx_request("row-42"), FRAGMENTS) == "row.html"
    assert fragment_for(_htmx_request("elsewhere"), FRAGMENTS) is None


def test_a_star_fragment_serves_any_target():
    assert fragment_for(_htmx_request("rows"), {"*": "rows.html"}) == "rows.html"
    assert fragment_for(_htmx_request(), {"*": "rows.html"}) == "rows.html"


def test_respond_renders_the_asked_part_and_varies_on_the_htmx_headers():
    context = {"status": "failed"}
    page = respond(_plain_request(), "components/status_badge.html", context, status=201)
    part = respond(_htmx_request("x"), "no/such/page.html", context, "components/status_badge.html")

    assert page.status_code == 201
    assert 'class="badge failed"' in part.content.decode()
    assert "HX-Target" in page["Vary"] and "HX-Request" in page["Vary"]


@pytest.mark.parametrize("word", STATUS_WORDS)
def test_every_status_word_has_a_badge_and_a_colour(word):
    html = render_to_string("components/status_badge.html", {"status": word})

    assert f'class="badge {word}"' in html
    assert f">{word.replace('_', ' ')}</span>" in html
    assert re.search(rf"\.badge\.{word}\b", STYLESHEET), f"portal.css has no .badge.{word}"


def test_a_badge_takes_a_label_a_size_and_an_id():
    html = render_to_string(
        "components/status_badge.html",
        {"status": "running", "label": "3 running", "big": True, "badge_id": "run-status"},
    )

    assert html.strip() == '<span class="badge big running" id="run-status">3 running</span>'


def test_the_empty_state_wraps_what_it_is_given():
    template = Template(
        "{% load webkit %}"
        "{% empty_state %}No runs yet. <a href='/new'>Run now</a>{% endempty_state %}"
        "{% empty_state small %}{{ what }}{% endempty_state %}"
    )

    html = template.render(Context({"what": "<b>nothing</b>"}))

    assert "<div class=\"empty\">No runs yet. <a href='/new'>Run now</a></div>" in html
    assert '<div class="empty small">&lt;b&gt;nothing&lt;/b&gt;</div>' in html


def test_the_empty_state_refuses_an_unknown_option():
    with pytest.raises(TemplateSyntaxError, match="only the option 'small'"):
        Template("{% load webkit %}{% empty_state big %}x{% endempty_state %}")


def test_the_legend_keeps_its_order_and_every_swatch_a_page_uses_has_a_colour():
    html = Template(
        '{% load webkit %}{% legend bar_met="met" bar_missed="missed" note="dashed: 95 %" %}'
    ).render(Context())
    assert html.index("swatch-bar_met") < html.index("swatch-bar_missed")
    assert "<span>dashed: 95 %</span>" in html

    used = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for tag in re.findall(r"{% legend (.*?)%}", path.read_text()):
            used |= {key for key in re.findall(r"(\w+)=", tag) if not key.startswith("note")}
    assert used, "no page uses the legend"
    assert {k for k in used if not re.search(rf"\.swatch-{k}(?![\w-])", STYLESHEET)} == set()


def test_the_keyset_pager_links_the_newest_page_and_the_next_cursor():
    html = render_to_string(
        "components/keyset_pager.html",
        {"query": "status=failed", "paged": True, "next_cursor": "2026-01-01T00:00:00+00:00|7"},
    )

    assert 'href="?status=failed">← Newest</a>' in html
    assert "?status=failed&amp;before=2026-01-01T00%3A00%3A00%2B00%3A00%7C7" in html


def test_the_keyset_pager_on_the_first_and_last_page_shows_no_link():
    html = render_to_string("components/keyset_pager.html", {"paged": False, "next_cursor": None})

    assert "<a" not in html


def test_the_page_pager_shows_where_you_are_only_when_there_are_pages():
    from django.core.paginator import Paginator

    pages = Paginator(list(range(45)), 20)
    middle = render_to_string(
        "components/page_pager.html", {"page_obj": pages.page(2), "query": "q=x"}
    )
    single = render_to_string(
        "components/page_pager.html", {"page_obj": Paginator([1], 20).page(1), "query": ""}
    )

    assert "Page 2 of 3" in middle
    assert "?q=x&page=1" in middle and "?q=x&page=3" in middle
    assert single.strip() == ""


def test_no_template_writes_a_colour_of_its_own():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for match in HEX_COLOUR.finditer(text):
            if SELECTOR_ATTRIBUTE.search(text[: match.start()]):
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {match.group()}")

    assert found == [], "use a variable of static/css/portal.css instead: " + ", ".join(found)


def test_the_charts_write_no_colour_of_their_own_and_name_only_variables_that_exist():
    from datetime import date

    from runs_app import charts

    day = date(2026, 11, 1)
    drawn = [
        charts.job_graph([charts.GraphNode(state, state) for state in charts.STATE_COLOURS]),
        charts.step_durations([("read", 1.0), ("write", 2.0)]),
        charts.runs_per_day([charts.DayCount(day, succeeded=3, failed=1, other=1)]),
        *(charts.percent_bar(percent) for percent in (99.0, 85.0, 10.0, None)),
        charts.sla_trend(
            [charts.SlaDay(day, met=3), charts.SlaDay(day, met=1, missed=2), charts.SlaDay(day)]
        ),
    ]
    svg = "".join(map(str, drawn))
    named = set(re.findall(r"var\(--([\w-]+)\)", svg))

    assert HEX_COLOUR.findall(svg) == []
    assert "fill:var(--warn)" in svg and "stroke:var(--accent-strong)" in svg
    assert {n for n in named if not re.search(rf"--{n}:", STYLESHEET)} == set()


def test_the_web_kit_imports_no_app_and_not_the_project():
    import ast

    imported = set()
    for path in (ROOT / "webkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])

    assert imported & {"portal", "pipelines_app", "runs_app"} == set()
    assert "django" in imported
