"""The HTML page: what it says (verdict, differences, tolerances, roll-up, timeline, graphs,
cost, artifacts), that it is self-contained and escaped, and that it is the same bytes for
the same report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from sim.report import render_html, write_html


class Elements(HTMLParser):
    """Start tags with their attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(page)
    return parser.tags


def between(page: str, start: str, end: str) -> str:
    i = page.index(start)
    return page[i:page.index(end, i)]


def test_the_verdict_banner(report):
    page = render_html(report)
    banner = between(page, '<div id="verdict"', "</div>")
    assert 'class="diverge"' in banner and "DIVERGE" in banner
    assert "stepfunctions diverges from legacy on 2 observables" in banner and "exit code 1" in banner


def test_the_flagged_rows_come_first_and_all_rows_are_behind_a_toggle(report):
    page = render_html(report)
    comparison = between(page, 'id="cmp-0"', "</section>")
    flagged = comparison[:comparison.index("<details>")]
    everything = between(comparison, "<details>", "</details>")
    assert flagged.count('<tr class="row-') == 7  # every row that is not equal
    assert 'row-equal' not in flagged
    assert everything.count('<tr class="row-') == 25 and "All 25 observables" in everything
    first = re.search(r'<tr class="row-(\w+)"><td class="mono">([^<]+)</td>', flagged)
    assert first.groups() == ("diverge", "allocation.weights.SPY")


def test_the_tolerance_applied_is_written_out(report):
    page = render_html(report)
    row = between(page, "<td class=\"mono\">allocation.weights.SPY</td>", "</tr>")
    assert "absolute 1e-09 (the per-symbol weights that make up the sum)" in row
    assert "0.2840936859139306135990977830" in row and "differs by 0.01 &gt; 1e-09" in row
    unjudged = between(page, "<td class=\"mono\">events.PartialSignalGenerated</td>", "</tr>")
    assert "no rule" in unjudged and 'class="absent"' in unjudged  # absent in stepfunctions


def test_the_roll_up_per_strategy(report):
    page = render_html(report)
    rollup = between(page, '<table class="rollup">', "</table>")
    rows = re.findall(r'<tr><td class="mono">(\w+)</td><td><span class="badge s-(\w+)">', rollup)
    assert rows == [("coin", "equal"), ("klm", "equal"), ("nuclear", "diverge"), ("tecl", "equal")]


def test_the_tolerances_section(report):
    tolerances = between(render_html(report), '<section id="tolerances">', "</section>")
    assert "Tolerances: seed" in tolerances and "workflows/alchemiser/tolerances/seed.yaml" in tolerances
    assert tolerances.count("<tr><td class=\"mono\">") == len(report["tolerances"]["rules"])
    judged = re.search(r'allocation\.weights\.\*</td>.*?<td class="num">(\d+)</td>', tolerances).group(1)
    assert judged == "8"


def test_headline_noise_cost_and_artifacts(report):
    page = render_html(report)
    runs = between(page, '<section id="runs">', "</section>")
    assert "legacy" in runs and "(baseline)" in runs and "15:45:34" in runs and "15:45:35" in runs
    noise = between(page, '<section id="noise">', "</section>")
    assert "timing.signal_ready_at" in noise and "Nothing varies across seeds." in noise
    cost = between(page, '<section id="cost">', "</section>")
    assert "$0.0000166667" in cost and "AWS Step Functions" in cost and "us-east-1" in cost
    assert "$0.00124" in cost and "$0.00164" in cost and "$0.0274" in cost
    links = [a["href"] for tag, a in elements(page) if tag == "a" and not a["href"].startswith("#")]
    assert "legacy/trace.jsonl" in links and "stepfunctions/histories.json" in links
    assert all("://" not in href and not href.startswith("/") for href in links)


def test_the_timeline_and_the_graphs_are_inline_svg(report):
    page = render_html(report)
    tags = elements(page)
    svgs = [a for tag, a in tags if tag == "svg"]
    assert [a.get("id") for a in svgs if "timeline" in a.get("class", "")] == ["timeline-svg"]
    assert len([a for a in svgs if a.get("class") == "graph"]) == 2
    timeline = between(page, 'id="timeline-svg"', "</svg>")
    assert "lambda:alchemiser-dev-portfolio" in timeline and "states:alchemiser-dev-strategy-workflow" in timeline
    assert "09:00:00" in timeline and "15:45:" in timeline  # axis in New York time
    assert re.search(r"<title>lambda:alchemiser-dev-portfolio · alchemiser-dev-portfolio: 15:45:\d\d → 15:45:\d\d", timeline)
    graph = between(page, 'id="exec-g1"', "</svg>")
    assert graph.count('<g class="node n-succeeded">') == 8 and graph.count('<g class="node n-not_entered">') == 2
    ids = [a["id"] for _tag, a in tags if "id" in a]
    assert len(ids) == len(set(ids))  # marker ids per graph do not collide


def test_self_contained_and_escaped(report):
    report["notes"].append('<script>alert("x")</script>')
    page = render_html(report)
    tags = [tag for tag, _a in elements(page)]
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;exact&gt; decimals &amp; strings" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "@import" not in page and "url(http" not in page
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) == {"http://www.w3.org/2000/svg"}


def test_same_report_same_bytes(report):
    before = json.dumps(report, sort_keys=True)
    once = render_html(report)
    assert json.dumps(report, sort_keys=True) == before  # the report is read, never changed
    assert render_html(json.loads(json.dumps(report))) == once
    assert render_html(report) == once


def test_an_error_with_no_runs(error_report):
    page = render_html(error_report)
    banner = between(page, '<div id="verdict"', "</div>")
    assert 'class="error"' in banner and "ERROR" in banner and "the legacy run failed to start" in banner
    assert "Resources.Queue: unknown type &lt;AWS::Nope&gt;" in page
    for section in ("differences", "timeline", "executions", "cost", "artifacts", "noise", "tolerances"):
        assert f'id="{section}"' not in page
    assert "No run produced a result." in page


def test_a_variant_without_executions_and_an_execution_without_history(report):
    report["runs"]["stepfunctions"]["executions"][0]["graph"] = None
    report["runs"]["legacy"]["timeline"] = []
    report["noise"] = {}
    report["comparisons"][0]["rows"] = [r for r in report["comparisons"][0]["rows"] if r["status"] == "equal"]
    page = render_html(report)
    assert "No history recorded for this execution." in page and page.count('class="graph"') == 1
    timeline = between(page, 'id="timeline-svg"', "</svg>")
    assert 'class="group-label" x="6"' in timeline and ">legacy</text>" not in timeline
    assert 'id="noise"' not in page and "Every observable is equal." in page


def test_write_html(report, tmp_path):
    path = write_html(report, tmp_path / "out" / "report.html")
    assert path.read_text(encoding="utf-8") == render_html(report)
