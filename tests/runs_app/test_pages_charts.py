from datetime import date

from runs_app.charts import (
    DayCount,
    GraphNode,
    job_graph,
    percent_bar,
    runs_per_day,
    step_durations,
)


def test_the_job_graph_places_a_node_right_of_the_nodes_it_depends_on():
    # given
    nodes = [
        GraphNode("load", "succeeded"),
        GraphNode("clean", "running", attempts=2, depends_on=("load",)),
        GraphNode("report", "pending", depends_on=("clean", "load")),
    ]
    # when
    svg = str(job_graph(nodes))
    # then
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("marker-end=") == 3  # one edge per dependsOn
    assert 'data-node="clean"' in svg and "running · attempt 2" in svg
    x = {
        n: svg.split(f'data-node="{n}"')[1].split('x="')[1].split('"')[0]
        for n in ("load", "clean", "report")
    }
    assert int(x["load"]) < int(x["clean"]) < int(x["report"])


def test_the_job_graph_escapes_names_and_survives_a_cycle():
    svg = str(job_graph([GraphNode("<a>", depends_on=("b",)), GraphNode("b", depends_on=("<a>",))]))
    assert "<a>" not in svg.replace("<a href", "") and "&lt;a&gt;" in svg


def test_runs_per_day_stacks_succeeded_and_failed_and_handles_an_empty_fortnight():
    days = [DayCount(date(2026, 11, 1), succeeded=3, failed=1), DayCount(date(2026, 11, 2))]
    svg = str(runs_per_day(days))
    assert svg.count("<rect") == 2
    assert "Sun 01 Nov: 3 succeeded, 1 failed, 0 other" in svg
    assert "<svg" in str(runs_per_day([DayCount(date(2026, 11, 2))]))


def test_step_durations_and_percent_bar_render_with_no_data():
    assert "<svg" in str(step_durations([]))
    assert "1.50 s" in str(step_durations([("1 filter", 1.5)]))
    assert "no data" in str(percent_bar(None))
    assert "97.5 percent" in str(percent_bar(97.5))
