"""What the monitoring pages draw in the reader's language, from their language-free models: the
Plotly figure of an indicator page, and the text of its map's tooltips.

The figure shows exactly the numbers of the page's JSON twin (``series`` and ``rows``); only its
trace names and hover text are words, so it is built here, at rendering, and never kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from html import escape

from yrdplan.domain.periods import parse_period

# Region colours of the chart: distinct, and none of them a warning colour.
PALETTE = ("#0b5394", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#7f8c8d", "#b03a2e", "#1abc9c")
_TEXT_KEY = re.compile(r"⟦([a-z_.]+)⟧")

Translate = Callable[[str], str]


def fill_text_keys(svg: str, t: Translate) -> str:
    """``svg`` with each ``⟦key⟧`` replaced by the text of ``key`` (escaped for XML)."""
    return _TEXT_KEY.sub(lambda m: escape(t(m.group(1))), svg)


def _finite(value) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _t(label: str | None) -> float | None:
    return parse_period(label).decimal_year if label else None


def indicator_figure(page: dict, t: Translate) -> dict:
    """A Plotly figure (plain JSON) of an indicator page (``IndicatorPagePublic`` as JSON): each
    region's series, and per target the straight path from the base to the milestone, the
    milestone itself (a band as an error bar), and the projection."""
    traces = []
    for i, item in enumerate(page["series"]):
        colour = PALETTE[i % len(PALETTE)]
        name = item["region_name"]
        demo = any(p["simulated"] for p in item["points"])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{name}{t('mon.chart.demo') if demo else ''}",
                "x": [_t(p["period"]) for p in item["points"]],
                "y": [p["value"] for p in item["points"]],
                "text": [p["period"] for p in item["points"]],
                "hovertemplate": "%{text}: %{y:.4g}<extra>" + name + "</extra>",
                "line": {"color": colour},
                "legendgroup": item["region_code"],
            }
        )
        for row in page["rows"]:
            if row["region_code"] != item["region_code"] or row["basis"] != "target":
                continue
            traces.extend(_target_traces(row, colour, name, t))
    unit = page["indicator"]["unit"] or ""
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
            "height": 380,
            "xaxis": {"tickformat": "d", "dtick": 1},  # years need no axis title
            # The unit alone: the indicator's name is the page's title, and long names clip.
            "yaxis": {"title": {"text": unit}},
            "legend": {"orientation": "h", "y": -0.12},
            "hovermode": "closest",
        },
    }


def _target_traces(row: dict, colour: str, name: str, t: Translate) -> list[dict]:
    traces = []
    year = row["target_year"]
    base_t, aim = _t(row["base_period"]), _finite(row["aim_value"])
    if base_t is not None and aim is not None and _finite(row["base_value"]) is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": t("mon.chart.path").format(name=name, year=year),
                "x": [base_t, year],
                "y": [row["base_value"], aim],
                "line": {"color": colour, "dash": "dash", "width": 1.5},
                "legendgroup": row["region_code"],
                "hoverinfo": "skip",
            }
        )
    target = _finite(row["target_value"])
    if target is not None:
        hover = t("mon.chart.target_hover").format(year=year)
        marker = {
            "type": "scatter",
            "mode": "markers",
            "name": t("mon.chart.target").format(name=name, year=year),
            "x": [year],
            "y": [target],
            "marker": {"symbol": "star", "size": 13, "color": colour},
            "legendgroup": row["region_code"],
            "hovertemplate": f"{hover}: %{{y:.4g}}<extra>{name}</extra>",
        }
        low, high = _finite(row["band_low"]), _finite(row["band_high"])
        if low is not None and high is not None:
            marker["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": [high - target],
                "arrayminus": [target - low],
                "color": colour,
            }
        traces.append(marker)
    latest_t, projected = _t(row["latest_period"]), _finite(row["projected_value"])
    if latest_t is not None and projected is not None and latest_t < year:
        hover = t("mon.chart.projection_hover").format(year=year)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": t("mon.chart.projection").format(name=name),
                "x": [latest_t, year],
                "y": [row["latest_value"], projected],
                "line": {"color": colour, "dash": "dot", "width": 1},
                "legendgroup": row["region_code"],
                "showlegend": False,
                "hovertemplate": f"{hover}: %{{y:.4g}}<extra>{name}</extra>",
            }
        )
    return traces
