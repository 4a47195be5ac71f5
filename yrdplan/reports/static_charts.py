"""Charts for documents, drawn offline by matplotlib: SVG for the HTML (and so the PDF), PNG for
Word, from one :class:`~yrdplan.reports.document.Chart`.

Why matplotlib: plotly writes static images only through kaleido (a bundled browser) and the
web pages' plotly.js needs a browser at reading time; a Word file needs a raster image and the
HTML an inline SVG, both written here without a network. The SVG keeps its text as text
(``svg.fonttype = none``) with a fixed id salt and no date, so the same chart gives the same
bytes; Chinese labels use a CJK font found through fontconfig (``fc-list :lang=zh``).
"""

from __future__ import annotations

import io
import json
import math
from functools import lru_cache

from yrdplan.errors import YrdplanError
from yrdplan.reports.document import Chart

#: Preferred CJK fonts, in order; the first one installed is used.
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Noto Serif CJK SC")
CSS_FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
)
PNG_DPI = 150
MAX_LABEL = 18  # characters of a category label; the table beside the chart has the full name


class MissingFont(YrdplanError):
    """No CJK font is installed: charts and PDFs would show boxes instead of Chinese."""


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of the CJK font charts use; ``MissingFont`` naming what to install."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in names:
            return family
    raise MissingFont(
        "no CJK font found for charts (looked for "
        + ", ".join(CJK_FONTS)
        + "); install one, e.g. `apt-get install fonts-noto-cjk`, and check `fc-list :lang=zh`"
    )


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _figure(chart: Chart, title: str):
    from matplotlib.figure import Figure

    if chart.kind == "bar":
        height = max(2.2, 0.32 * len(chart.categories) + 1.2)
        figure = Figure(figsize=(7.0, height))
        _bars(figure.add_subplot(), chart)
    elif chart.kind == "line":
        figure = Figure(figsize=(7.0, 3.0))
        _line(figure.add_subplot(), chart)
    elif chart.kind == "map":
        figure = Figure(figsize=(6.4, 6.4))
        _map(figure.add_subplot(), chart)
    else:
        raise ValueError(f"chart.kind: {chart.kind!r} is not bar, line or map")
    # The caption under the figure carries the title; the SVG keeps it for screen readers.
    figure.set_layout_engine("tight")
    return figure


def _bars(axes, chart: Chart) -> None:
    n = len(chart.categories)
    values = [0.0 if v is None else v for v in chart.values]
    colours = list(chart.colours) or ["#0b5394"] * n
    positions = list(range(n))
    axes.barh(positions, values, color=colours, height=0.6)
    axes.set_yticks(positions, [_label(c) for c in chart.categories], fontsize=8)
    axes.invert_yaxis()
    top = chart.limit or max([*values, 1.0]) * 1.15
    axes.set_xlim(0, top)
    axes.set_xlabel(chart.axis, fontsize=9)
    for y, value in zip(positions, chart.values, strict=True):
        text = "—" if value is None else f"{value:g}"
        if (value or 0) > top * 0.85:  # no room to the right: write inside the bar
            axes.text(
                value - top * 0.01, y, text, va="center", ha="right", fontsize=7, color="white"
            )
        else:
            axes.text((value or 0) + top * 0.01, y, text, va="center", fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelsize=8)


def _line(axes, chart: Chart) -> None:
    xs = list(range(len(chart.categories)))
    ys = [math.nan if v is None else v for v in chart.values]
    axes.plot(xs, ys, marker="o", color="#27ae60")
    axes.set_xticks(xs, list(chart.categories), fontsize=7, rotation=30)
    if chart.limit:
        axes.set_ylim(0, chart.limit)
    axes.set_ylabel(chart.axis, fontsize=9)
    for x, y in zip(xs, chart.values, strict=True):
        if y is not None:
            axes.annotate(
                f"{y:g}", (x, y), textcoords="offset points", xytext=(0, 5), fontsize=7, ha="center"
            )
    axes.grid(axis="y", color="#e0e0e0")
    axes.spines[["top", "right"]].set_visible(False)


def _rings(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def _map(axes, chart: Chart) -> None:
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    polygons, fills, centres = [], [], []
    for area in chart.areas:
        geometry = (
            area["geometry"] if isinstance(area["geometry"], dict) else json.loads(area["geometry"])
        )
        rings = _rings(geometry)
        for ring in rings:
            polygons.append(ring)
            fills.append(area["fill"])
        biggest = max(rings, key=len)
        centres.append(
            (
                sum(p[0] for p in biggest) / len(biggest),
                sum(p[1] for p in biggest) / len(biggest),
                area["name"],
            )
        )
    axes.add_collection(
        PolyCollection(polygons, facecolors=fills, edgecolors="white", linewidths=0.5)
    )
    for x, y, name in centres:
        axes.text(x, y, name.removesuffix("市"), fontsize=5, ha="center", va="center")
    axes.autoscale_view()
    # At YRD latitudes a degree of longitude is ~0.86 of a degree of latitude.
    axes.set_aspect(1 / math.cos(math.radians(31)))
    axes.set_axis_off()
    if chart.legend:
        axes.legend(
            handles=[Patch(facecolor=c, label=label) for c, label in chart.legend],
            loc="lower right",
            fontsize=7,
            frameon=False,
        )


def _rc() -> dict:
    return {
        "font.family": [cjk_font()],
        "svg.fonttype": "none",
        "svg.hashsalt": "yrdplan",
        "axes.unicode_minus": False,
    }


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


class ChartRenderer:
    """Draws each chart of one build once and writes it as SVG and/or PNG on demand (the
    figure is the costly part; the writers of one document share it)."""

    def __init__(self) -> None:
        self._figures: dict[int, tuple[Chart, object]] = {}

    def _figure(self, chart: Chart, title: str):
        # Keyed by identity: the document's charts live as long as the build.
        entry = self._figures.get(id(chart))
        if entry is None or entry[0] is not chart:
            entry = (chart, _figure(chart, title))
            self._figures[id(chart)] = entry
        return entry[1]

    def svg(self, chart: Chart, title: str) -> str:
        """The chart as standalone SVG text (no XML prolog), identical for identical input."""
        return self._save(chart, title, _svg)

    def png(self, chart: Chart, title: str) -> bytes:
        """The chart as a PNG for Word."""
        return self._save(chart, title, _png)

    def _save(self, chart: Chart, title: str, write):
        from matplotlib import rc_context

        with rc_context(_rc()):
            figure = self._figure(chart, title)
            if figure.get_layout_engine() is not None:
                # Lay out once, at the figure's own dpi, whichever format comes first: the
                # layout is in figure fractions, so every format shares it (and a rebuild of
                # any set of formats draws the same chart).
                figure.get_layout_engine().execute(figure)
                figure.set_layout_engine("none")
            return write(figure)


def render_svg(chart: Chart, title: str) -> str:
    """One chart as SVG (see :meth:`ChartRenderer.svg`)."""
    return ChartRenderer().svg(chart, title)


def render_png(chart: Chart, title: str) -> bytes:
    """One chart as PNG (see :meth:`ChartRenderer.png`)."""
    return ChartRenderer().png(chart, title)
