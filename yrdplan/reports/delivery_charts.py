"""Plotly figures (as plain dicts) for completion rates, built from the same rows a page shows.

No plotly import is needed to build them: the page hands the dicts to the plotly.js bundle that
the app serves from the plotly wheel (``/static/vendor/plotly.min.js``), so the chart draws
exactly the numbers in the table beside it.
"""

from __future__ import annotations

_FONT = {"family": "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif", "size": 13}
_COLOURS = {"rate": "#0b5394", "trend": "#27ae60"}


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def completion_bar_chart(rows: list[dict], *, title: str, axis_title: str = "完成率（%）") -> dict:
    """Horizontal bars, one per group, of ``rate`` in percent; hover shows completed / total."""
    groups = [str(r["group"]) for r in rows]
    height = max(220, 34 * len(rows) + 90)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": groups,
                "x": [_percent(r["rate"]) for r in rows],
                "text": ["—" if r["rate"] is None else f"{_percent(r['rate']):g}%" for r in rows],
                "textposition": "outside",
                "cliponaxis": False,
                "customdata": [[r["completed"], r["total"]] for r in rows],
                "hovertemplate": "%{y}<br>%{x}%（%{customdata[0]:.2f} / %{customdata[1]:.0f}）"
                "<extra></extra>",
                "marker": {"color": _COLOURS["rate"]},
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": 15}},
            "font": _FONT,
            "height": height,
            "margin": {"l": 220, "r": 60, "t": 50, "b": 50},
            "xaxis": {"range": [0, 100], "title": {"text": axis_title}, "ticksuffix": "%"},
            "yaxis": {"autorange": "reversed", "automargin": True},
        },
    }


def completion_trend_chart(rows: list[dict], *, title: str) -> dict:
    """A line of the completion rate at each date (rows from ``completion_trend``)."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [r["as_of"] for r in rows],
                "y": [_percent(r["rate"]) for r in rows],
                "line": {"color": _COLOURS["trend"]},
                "hovertemplate": "%{x}: %{y}%<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": 15}},
            "font": _FONT,
            "height": 300,
            "margin": {"l": 60, "r": 30, "t": 50, "b": 50},
            "yaxis": {"range": [0, 100], "ticksuffix": "%"},
            "xaxis": {"type": "date"},
        },
    }
