"""A matrix report: cases (rows) x variants (columns), each cell a verdict linking to its run.

Generic: the producer (e.g. the Alchemiser's drills) hands a plain dict

    {"title": str, "summary": str, "columns": [variant, ...],
     "rows": [{"name", "title", "note", "cells": {variant: {"verdict": "pass"|"finding"|"fail"|"n/a",
              "headline": str, "finding": str|None, "checks": [{"measure","expected","actual","ok"}],
              "evidence": {"trace": [str], "history": [str]}, "links": {label: relative href}}}}],
     "races": [{"case", "variant", "outcomes": [{"outcome": {...}, "seeds": [int], "reproduce": str}]}]}

and gets one self-contained HTML page (no script, no network): the matrix, then each
finding and failure with its checks and evidence, then the race finder's outcomes.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

VERDICT_ORDER = ("fail", "finding", "pass", "n/a")


def _env() -> Environment:
    return Environment(loader=PackageLoader("sim.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def counts(matrix: dict) -> dict[str, int]:
    out = dict.fromkeys(VERDICT_ORDER, 0)
    for row in matrix.get("rows") or []:
        for cell in (row.get("cells") or {}).values():
            out[cell.get("verdict", "n/a")] = out.get(cell.get("verdict", "n/a"), 0) + 1
    return out


def render_matrix_html(matrix: dict) -> str:
    return _env().get_template("matrix.html.j2").render(m=matrix, counts=counts(matrix))


def write_matrix_html(matrix: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_matrix_html(matrix))
    return path


__all__ = ["counts", "render_matrix_html", "write_matrix_html"]
