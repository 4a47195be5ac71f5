"""Task statuses against hand-computed cases, one or more per status and rule."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yrdplan.analytics.task_status import (
    DEFAULT_LAGGING_MARGIN,
    RULE_FIELDS,
    STATUS_RULES,
    compute_statuses,
    task_status,
)
from yrdplan.domain.tasks import TASK_STATUSES
from yrdplan.reports.task_text import status_reason_text

NAN = math.nan
# A one-year task: 2025-01-01 .. 2025-12-31 spans 364 days.
S, D = "2025-01-01", "2025-12-31"

# (id, start, deadline, as_of, percent, completed, suspended, status, rule)
CASES = [
    (
        "before start",
        "2025-03-01",
        D,
        "2025-02-01",
        NAN,
        None,
        False,
        "not_started",
        "before_start",
    ),
    # 14 / 364 days = 3.8 % elapsed, 0 % done: 3.8 behind, within 15
    (
        "no progress, early",
        S,
        D,
        "2025-01-15",
        0,
        None,
        False,
        "not_started",
        "no_progress_within_margin",
    ),
    # 182 / 364 = 50 % elapsed, 40 % done: 10 behind
    ("on track", S, D, "2025-07-02", 40, None, False, "on_track", "within_margin"),
    # ahead of time is on track too
    ("ahead", S, D, "2025-07-02", 90, None, False, "on_track", "within_margin"),
    # 273 / 364 = 75 % elapsed, 40 % done: 35 behind
    ("lagging", S, D, "2025-10-01", 40, None, False, "lagging", "behind_more_than_margin"),
    # no report counts as 0 %: 75 behind
    (
        "lagging, no report",
        S,
        D,
        "2025-10-01",
        NAN,
        None,
        False,
        "lagging",
        "behind_more_than_margin",
    ),
    # due by the end of the deadline day: on the day itself it is not overdue
    ("deadline day", S, "2025-06-30", "2025-06-30", 90, None, False, "on_track", "within_margin"),
    ("overdue", S, "2025-06-30", "2025-07-10", 90, None, False, "overdue", "past_deadline"),
    # 100 % reported but completion not recorded: still overdue
    (
        "100 % not confirmed",
        S,
        "2025-06-30",
        "2025-07-10",
        100,
        None,
        False,
        "overdue",
        "past_deadline",
    ),
    (
        "completed",
        S,
        "2025-06-30",
        "2025-07-10",
        100,
        "2025-06-20",
        False,
        "completed",
        "completed_by_deadline",
    ),
    (
        "completed on deadline day",
        S,
        "2025-06-30",
        "2025-07-10",
        100,
        "2025-06-30",
        False,
        "completed",
        "completed_by_deadline",
    ),
    (
        "completed late",
        S,
        "2025-06-30",
        "2025-07-10",
        100,
        "2025-07-05",
        False,
        "completed_late",
        "completed_after_deadline",
    ),
    (
        "completed, no deadline",
        S,
        None,
        "2025-07-10",
        100,
        "2025-07-01",
        False,
        "completed",
        "completed_no_deadline",
    ),
    # completion recorded after the as-of date does not count yet
    (
        "completion in the future",
        S,
        D,
        "2025-07-02",
        80,
        "2025-08-01",
        False,
        "on_track",
        "within_margin",
    ),
    ("suspended", S, "2025-06-30", "2025-07-10", 10, None, True, "suspended", "suspended"),
    (
        "completed beats suspended",
        S,
        "2025-06-30",
        "2025-07-10",
        100,
        "2025-06-01",
        True,
        "completed",
        "completed_by_deadline",
    ),
    (
        "standing task with progress",
        S,
        None,
        "2025-10-01",
        30,
        None,
        False,
        "on_track",
        "progress_unscheduled",
    ),
    (
        "standing task, no report",
        S,
        None,
        "2025-10-01",
        NAN,
        None,
        False,
        "not_started",
        "no_progress_unscheduled",
    ),
    ("no start date", None, D, "2025-10-01", 5, None, False, "on_track", "progress_unscheduled"),
]


@pytest.mark.parametrize(
    "start,deadline,as_of,percent,completed,suspended,status,rule",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_single_task_status_and_rule(
    start, deadline, as_of, percent, completed, suspended, status, rule
):
    result = task_status(start, deadline, as_of, percent, completed, suspended)
    assert (result.status, result.rule) == (status, rule)


def test_vectorised_matches_single_task():
    columns = list(zip(*[c[1:7] for c in CASES], strict=True))
    result = compute_statuses(*columns)
    assert result.names.tolist() == [c[7] for c in CASES]
    assert [STATUS_RULES[r] for r in result.rules] == [c[8] for c in CASES]
    assert [TASK_STATUSES[c] for c in result.codes] == [c[7] for c in CASES]


def test_lagging_explanation_names_the_numbers():
    result = task_status(S, D, "2025-10-01", 40)
    assert result.elapsed_percent == pytest.approx(75.0)
    assert result.reason == {
        "code": "behind_more_than_margin",
        "percent": 40.0,
        "elapsed": 75.0,
        "margin": 15.0,
    }
    assert status_reason_text(result.reason) == "进度 40% 落后于时间进度 75% 超过 15 个百分点"
    assert status_reason_text(result.reason, "en") == (
        "progress 40% is more than 15 percentage points behind time elapsed 75%"
    )


def test_explanations_of_other_rules():
    late = task_status(S, "2025-06-30", "2025-07-10", 100, completed="2025-07-05")
    assert late.reason == {
        "code": "completed_after_deadline",
        "completed": "2025-07-05",
        "deadline": "2025-06-30",
        "days": 5,
    }
    assert status_reason_text(late.reason) == "已于 2025-07-05 完成，晚于完成时限 2025-06-30 5 天"
    overdue = task_status(S, "2025-06-30", "2025-07-10", None)
    assert overdue.reason["percent"] is None  # not reported
    assert (
        status_reason_text(overdue.reason)
        == "完成时限 2025-06-30 已过 10 天，尚未完成（进度 未报送，按 0% 计）"
    )
    assert "10 days ago" in status_reason_text(overdue.reason, "en")
    before = task_status("2025-03-01", D, "2025-02-01", None)
    assert status_reason_text(before.reason) == "截至 2025-02-01 尚未到开始日期 2025-03-01"


def test_every_rule_has_words_in_both_languages():
    for rule, fields in RULE_FIELDS.items():
        reason = {"code": rule, **dict.fromkeys(fields, 1)}
        for lang in ("zh", "en"):
            text = status_reason_text(reason, lang)
            assert text and "{" not in text and "_" not in text  # no code left unworded


def test_days_late():
    result = compute_statuses(
        [S, S, S],
        ["2025-06-30"] * 3,
        "2025-07-10",
        [50, 100, 10],
        completed=[None, "2025-07-03", None],
        suspended=[False, False, True],
    )
    assert result.days_late.tolist() == [10, 3, 0]


# The margin boundary: a 10-day task, 7 days in, is 70 % elapsed.
@pytest.mark.parametrize(
    "percent,margin,expected",
    [
        (55.0, 15, "on_track"),  # exactly 15 points behind: not lagging
        (54.9, 15, "lagging"),
        (69.99, 0, "lagging"),
        (70.0, 0, "on_track"),
        (30.0, 40, "on_track"),  # exactly 40 behind
        (29.0, 40, "lagging"),
    ],
)
def test_margin_boundary(percent, margin, expected):
    result = task_status("2025-01-01", "2025-01-11", "2025-01-08", percent, margin=margin)
    assert result.elapsed_percent == pytest.approx(70.0)
    assert result.status == expected


def test_exact_margin_survives_floating_point():
    # A 100-day task 55 days in: 55 / 100 * 100 is 55.00000000000001 in floating point, so a
    # task exactly 15 points behind would look lagging without the comparison tolerance.
    start = date(2025, 1, 1)
    deadline, as_of = start + timedelta(100), start + timedelta(55)
    assert task_status(start, deadline, as_of, 40).status == "on_track"
    assert task_status(start, deadline, as_of, 39.9).status == "lagging"


def test_default_margin_is_fifteen_points():
    assert DEFAULT_LAGGING_MARGIN == 15.0
    assert task_status("2025-01-01", "2025-01-11", "2025-01-08", 55).status == "on_track"


def test_task_due_on_its_start_day_is_fully_elapsed():
    result = task_status("2025-05-01", "2025-05-01", "2025-05-01", 50)
    assert result.elapsed_percent == 100.0
    assert result.status == "lagging"


def test_as_of_per_task():
    result = compute_statuses([S, S], [D, D], ["2025-02-01", "2025-11-30"], [10, 10])
    assert result.names.tolist() == ["on_track", "lagging"]


@pytest.mark.parametrize("bad", [101, -0.5, math.inf])
def test_percent_outside_range_is_rejected_by_name(bad):
    with pytest.raises(ValueError, match="percent"):
        compute_statuses([S, S], [D, D], "2025-06-01", [50, bad])


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"deadline": ["2024-12-01"]}, "deadline before start"),
        ({"margin": -1}, "margin"),
        ({"margin": 100}, "margin"),
        ({"as_of": None}, "as_of"),
        ({"deadline": [D, D]}, "deadline has 2 values"),
        ({"start": ["2025/01/01"]}, "start"),
        ({"suspended": [True, False]}, "suspended"),
    ],
)
def test_bad_arguments_are_named(kwargs, name):
    arguments = {"start": [S], "deadline": [D], "as_of": "2025-06-01", "percent": [50.0]}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=name):
        compute_statuses(**arguments)


_day = st.integers(min_value=0, max_value=800).map(lambda n: date(2024, 1, 1) + timedelta(n))


@settings(max_examples=60, deadline=None)
@given(
    start=_day,
    length=st.integers(0, 400),
    as_of=_day,
    percent=st.one_of(st.just(NAN), st.floats(0, 100)),
    margin=st.floats(0, 99),
)
def test_status_invariants(start, length, as_of, percent, margin):
    deadline = start + timedelta(length)
    result = task_status(start, deadline, as_of, percent, margin=margin)
    # overdue exactly when past the deadline (no completion given); lagging only before it
    assert (result.status == "overdue") == (as_of > deadline)
    if result.status == "lagging":
        assert start <= as_of <= deadline
        assert result.elapsed_percent - (0 if math.isnan(percent) else percent) > margin
    # a larger margin never turns an on-track task into a lagging one
    wider = task_status(start, deadline, as_of, percent, margin=min(margin + 10, 99))
    if result.status != "lagging":
        assert wider.status == result.status
    assert np.isfinite(result.elapsed_percent) and 0 <= result.elapsed_percent <= 100
