"""Charts for reports, as inline SVG text: the same bytes for the same data.

matplotlib draws without pyplot (a ``Figure`` and its own SVG canvas: no global state,
no display), text stays text (``svg.fonttype: none``), and the two things that would
change between runs, the date in the metadata and the random ids of clip paths,
are fixed (``metadata={"Date": None}``, ``svg.hashsalt``).
"""

from __future__ import annotations

import functools
import io
from typing import Callable, Sequence

PALETTE = ("#3b6ea8", "#d98c2b", "#4f9a5b", "#b8474d", "#7d62a8", "#8c6d4f", "#c45ca2", "#6f7f8f")
OUTCOME_COLOURS = {"TRADED": "#4f9a5b", "NO_TRADES": "#8fb996", "NO_SIGNAL": "#c9a227", "FAILED": "#b8474d",
                   "INCOMPLETE": "#7d62a8", "SIGNAL_ONLY": "#d98c2b", "HOLIDAY": "#9aa5b1"}
_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "shadowsim", "font.size": 9, "axes.spines.top": False,
          "axes.spines.right": False}


def _svg(fig) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: no XML prolog or doctype


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _styled(draw: Callable[..., str]) -> Callable[..., str]:
    """Draw and save under the report style, leaving matplotlib's global settings as they were."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> str:
        import matplotlib

        with matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)
    return wrapper


@_styled
def stacked_bars(labels: Sequence[str], counts: Sequence[dict[str, int]], title: str,
                 colours: dict[str, str] = OUTCOME_COLOURS) -> str:
    """One horizontal bar per label, split by category (e.g. outcomes per drill and variant)."""
    categories = list(dict.fromkeys(c for row in counts for c in row))
    fig = _figure(7.5, 0.8 + 0.26 * len(labels))
    ax = fig.add_subplot()
    y = list(range(len(labels)))[::-1]
    left = [0] * len(labels)
    for i, category in enumerate(categories):
        widths = [row.get(category, 0) for row in counts]
        ax.barh(y, widths, left=left, color=colours.get(category, PALETTE[i % len(PALETTE)]), label=category,
                height=0.7)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_yticks(y, labels)
    ax.set_xlabel("runs")
    ax.set_title(title, loc="left")
    if categories:  # below the chart: above it the legend would cover the title
        fig.legend(loc="outside lower center", fontsize=8, frameon=False, ncols=min(len(categories), 6))
    return _svg(fig)


@_styled
def distributions(series: dict[str, list[float]], title: str, unit: str) -> str:
    """A box per series with every value drawn beside it (few runs: the points are the truth)."""
    names = list(series)
    fig = _figure(7.5, 0.9 + 0.45 * max(len(names), 1))
    ax = fig.add_subplot()
    data = [series[n] or [float("nan")] for n in names]
    y = list(range(1, len(names) + 1))[::-1]
    ax.boxplot(data, positions=y, orientation="horizontal", widths=0.5, showfliers=False,
               medianprops={"color": "#222"})
    for i, (pos, values) in enumerate(zip(y, data)):
        offsets = [pos + 0.28 + 0.08 * ((j * 7) % 5 - 2) / 2 for j in range(len(values))]  # a fixed jitter
        ax.scatter(values, offsets, s=16, color=PALETTE[i % len(PALETTE)], alpha=0.8, linewidths=0)
    ax.set_yticks(y, names)
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left")
    return _svg(fig)


@_styled
def grouped_bars(categories: Sequence[str], series: dict[str, list[float]], title: str, unit: str) -> str:
    """Bars per category, one per series side by side (e.g. cost per day and variant)."""
    names = list(series)
    fig = _figure(7.5, 3.0)
    ax = fig.add_subplot()
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        xs = [c + (i - (len(names) - 1) / 2) * width for c in range(len(categories))]
        ax.bar(xs, series[name], width=width, color=PALETTE[i % len(PALETTE)], label=name)
    ax.set_xticks(list(range(len(categories))), categories, rotation=30, ha="right")
    ax.set_ylabel(unit)
    ax.set_title(title, loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(fig)


__all__ = ["distributions", "grouped_bars", "stacked_bars"]
