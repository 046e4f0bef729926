"""The shadow report as one self-contained HTML page (inline CSS and SVG, no script, no
network, no external fonts): ``render_html(report) -> str``, ``write_html(report, path)``.

The page is rendered with jinja2, autoescape on, from templates/report.html.j2; the
geometry and the text of every cell come from ``sim.report.view``. Same report, same
bytes: nothing here reads a clock or a random source.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from sim.report import view

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def render_html(report: dict) -> str:
    return _environment().get_template("report.html.j2").render(v=view.build(report))


def write_html(report: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path
