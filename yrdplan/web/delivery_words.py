"""Words of the delivery pages, put in at render time: the status of a task with its rule (for
the templates) and the completion charts' titles and axis (for the figures the page draws).

Views give codes and numbers only; this is the one place those become zh or en text beside the
text keys of :mod:`yrdplan.web.i18n`.
"""

from __future__ import annotations

from yrdplan.reports.delivery_charts import completion_bar_chart, completion_trend_chart
from yrdplan.reports.task_text import status_label, status_reason_text
from yrdplan.web.i18n import translate
from yrdplan.web.views.completion import PLAN_GROUPINGS, CompletionPagePublic

#: Functions the templates call: ``status_label(row.status, lang)``,
#: ``status_reason(row.status_reason, lang)``.
TEMPLATE_GLOBALS = {"status_label": status_label, "status_reason": status_reason_text}


def completion_charts(page: CompletionPagePublic, lang: str) -> dict[str, dict]:
    """Plotly figures of the completion page, keyed by the id of the element each fills."""
    if page.plan is None:
        return {}
    axis = translate("d.chart.rate_axis", lang)
    charts = {}
    for by in PLAN_GROUPINGS:
        none = translate(f"d.completion.no_{by}", lang)
        rows = [
            row.model_dump() | {"group": row.group or none} for row in getattr(page, f"by_{by}")
        ]
        if rows:
            charts[f"chart-{by}"] = completion_bar_chart(
                rows, title=translate(f"d.chart.by_{by}", lang), axis_title=axis
            )
    if len(page.trend) > 1:  # one point is not a trend; the table still shows it
        charts["chart-trend"] = completion_trend_chart(
            [row.model_dump() for row in page.trend], title=translate("d.chart.trend", lang)
        )
    return charts
