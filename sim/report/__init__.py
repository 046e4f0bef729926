"""Renderers of a shadow-comparison report (schema "shadowsim/shadow-report@1", see
docs/reports.md) and the helpers that derive its timeline and execution graphs.

* ``spans(records, tz=, epoch_iso=)``: a run's timeline from its trace records;
* ``execution_graph(definition, events, epoch=)`` and ``layout(graph)``: a Step Functions
  execution's top-level states coloured by its history, and where to draw them;
* ``render_html`` / ``write_html``: one self-contained page;
* ``render_markdown``: a short PR comment;
* ``render_junit`` / ``report_suites``: JUnit XML for CI;
* ``print_report``: the terminal view (rich).
"""

from sim.report.common import SCHEMA
from sim.report.graph import execution_graph, layout
from sim.report.html import render_html, write_html
from sim.report.junit import render_junit, report_suites
from sim.report.markdown import render_markdown
from sim.report.terminal import print_report
from sim.report.timeline import spans

__all__ = ["SCHEMA", "execution_graph", "layout", "print_report", "render_html", "render_junit", "render_markdown",
           "report_suites", "spans", "write_html"]
