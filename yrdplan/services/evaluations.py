"""Qualitative assessments for a plan's evaluation: self-assessment (政府自评) by the office,
third-party assessment (第三方评估) by an independent assessor; each scores the plan per
dimension (0–100) and writes its text. An evaluation report built afterwards shows them side by
side (``services.bulletins.create_evaluation``).

Who enters what, and why: a self-assessment is the government's own account, so the office (or
an admin) enters it; a third-party assessment must not be written by the office it judges, so
only a user with the ``assessor`` role (or an admin, for loading one received on paper) enters
it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, PermissionDenied
from yrdplan.ingest.free_text import clean_free_text
from yrdplan.services.bulletin_snapshot import ASSESSMENT_KINDS, STAGES
from yrdplan.services.callers import require_caller, user_id_of
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.schema import EvaluationAssessment, utcnow

#: Dimensions offered by default (the seeds' 定量/定性, 目标/任务/机制/公众); any may be added.
DEFAULT_DIMENSIONS: tuple[str, ...] = ("目标实现", "任务落实", "协同机制", "公众满意度")
MAX_DIMENSIONS = 12
MAX_TEXT = 20_000


@dataclass
class AssessmentIn:
    kind: str  # self, third_party
    assessor: str  # the organisation, e.g. 南京市发展改革委 or 某大学长三角研究院
    scores: dict[str, float]
    text: str = ""


def may_enter(user: UserInfo | None, kind: str) -> bool:
    if user is None:
        return False
    if kind == "self":
        return user.role in ("office", "admin")
    return user.role in ("assessor", "admin")


def check_scores(scores: dict) -> dict[str, float]:
    """Dimension names trimmed and unique, scores numbers in 0–100."""
    if len(scores) > MAX_DIMENSIONS:
        raise InputError(f"scores: at most {MAX_DIMENSIONS} dimensions, got {len(scores)}")
    out: dict[str, float] = {}
    for name, value in scores.items():
        dimension = " ".join(str(name).split())
        if not dimension or len(dimension) > 50:
            raise InputError(f"score dimension {name!r}: give a name of 1-50 characters")
        try:
            number = float(value)
        except (TypeError, ValueError) as err:
            raise InputError(f"score for {dimension!r}: {value!r} is not a number") from err
        if not math.isfinite(number) or not 0 <= number <= 100:
            raise InputError(f"score for {dimension!r}: {value!r} is outside 0-100")
        out[dimension] = number
    return out


def enter_assessment(
    session: Session, user: UserInfo, plan_ref: str | int, stage: str, entry: AssessmentIn
) -> EvaluationAssessment:
    """Add or replace ``entry.assessor``'s assessment of one kind for a plan and stage."""
    user = require_caller(user)
    if stage not in STAGES:
        raise InputError(f"stage {stage!r} is not one of {', '.join(STAGES)}")
    if entry.kind not in ASSESSMENT_KINDS:
        raise InputError(
            f"assessment kind {entry.kind!r} is not one of {', '.join(ASSESSMENT_KINDS)}"
        )
    if not may_enter(user, entry.kind):
        who = (
            "the office (or an admin)"
            if entry.kind == "self"
            else "a third-party assessor (or an admin)"
        )
        raise PermissionDenied(f"only {who} may enter a {entry.kind.replace('_', '-')} assessment")
    plan = plan_repo.find_plan(session, plan_ref)
    assessor = " ".join(clean_free_text(entry.assessor).split())
    if not assessor:
        raise InputError("an assessment needs the assessing organisation (assessor)")
    text = clean_free_text(entry.text)
    if len(text) > MAX_TEXT:
        raise InputError(f"assessment text is {len(text)} characters; at most {MAX_TEXT}")
    scores = check_scores(entry.scores)
    row = session.scalar(
        select(EvaluationAssessment).where(
            EvaluationAssessment.plan_id == plan.id,
            EvaluationAssessment.stage == stage,
            EvaluationAssessment.kind == entry.kind,
            EvaluationAssessment.assessor == assessor,
        )
    )
    if row is None:
        row = EvaluationAssessment(plan_id=plan.id, stage=stage, kind=entry.kind, assessor=assessor)
        session.add(row)
    row.scores = scores
    row.text = text
    row.entered_by = user_id_of(user)
    row.entered_at = utcnow()
    session.flush()
    return row


def list_assessments(
    session: Session, user: UserInfo, plan_ref: str | int, stage: str
) -> list[dict]:
    """The assessments entered for a plan and stage (the office, assessors and admins)."""
    if user is None or user.role not in ("office", "admin", "assessor"):
        raise PermissionDenied(
            "only the office, assessors and admins read assessments before publication"
        )
    plan = plan_repo.find_plan(session, plan_ref)
    rows = session.scalars(
        select(EvaluationAssessment)
        .where(EvaluationAssessment.plan_id == plan.id, EvaluationAssessment.stage == stage)
        .order_by(EvaluationAssessment.kind, EvaluationAssessment.assessor)
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "assessor": r.assessor,
            "scores": dict(r.scores),
            "text": r.text,
            "entered_at": r.entered_at.isoformat(timespec="seconds"),
        }
        for r in rows
    ]
