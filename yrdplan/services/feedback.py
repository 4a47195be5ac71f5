"""Public feedback (意见建议, 公众参与) on a published bulletin or a confirmed plan.

Anyone may leave a short message without logging in; the office reads it, answers it and may
publish the answer, which then shows under the bulletin or plan with the message (never the
contact details). Abuse limits: ``MAX_TEXT`` characters per message and ``RATE_LIMIT``
messages per client per ``RATE_WINDOW``; the client is kept only as a SHA-256 key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, NotFoundError, PermissionDenied, YrdplanError
from yrdplan.ingest.free_text import clean_free_text
from yrdplan.services.callers import user_id_of
from yrdplan.services.portal import require_portal_open
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.schema import Bulletin, PublicFeedback, utcnow

MAX_TEXT = 1000  # characters: 意见建议 is a short form, not a document
MAX_CONTACT = 200
RATE_LIMIT = 5
RATE_WINDOW = timedelta(hours=1)
MAX_ANSWER = 5000


class FeedbackThrottled(YrdplanError):
    """Too many messages from one client in the window."""


def client_key(client: str) -> str:
    return hashlib.sha256(f"yrdplan-feedback:{client}".encode()).hexdigest()


def submit_feedback(
    session: Session,
    *,
    text: str,
    client: str,
    bulletin_id: int | None = None,
    plan_ref: str | int | None = None,
    contact: str = "",
    now: datetime | None = None,
) -> PublicFeedback:
    """Store a visitor's message on a published bulletin or a confirmed plan (not while the
    office has closed the public portal)."""
    require_portal_open(session)
    now = now or utcnow()
    if (bulletin_id is None) == (plan_ref is None):
        raise InputError("feedback is about one published bulletin or one plan")
    text = clean_free_text(text)
    if not text:
        raise InputError("意见建议不能为空 (the message is empty)")
    if len(text) > MAX_TEXT:
        raise InputError(
            f"意见建议最多{MAX_TEXT}字 (the message has {len(text)} characters; at most {MAX_TEXT})"
        )
    contact = " ".join(clean_free_text(contact).split())
    if len(contact) > MAX_CONTACT:
        raise InputError(f"contact: at most {MAX_CONTACT} characters")
    plan_id = None
    if bulletin_id is not None:
        bulletin = session.get(Bulletin, bulletin_id)
        if bulletin is None or bulletin.status != "published":
            raise NotFoundError(f"no published bulletin {bulletin_id}")
    else:
        plan = plan_repo.find_plan(session, plan_ref)
        if plan.status != "confirmed":
            raise NotFoundError(f"no published plan {plan_ref}")
        plan_id = plan.id
    key = client_key(client)
    recent = session.scalar(
        select(func.count(PublicFeedback.id)).where(
            PublicFeedback.client_key == key, PublicFeedback.created_at >= now - RATE_WINDOW
        )
    )
    if recent >= RATE_LIMIT:
        raise FeedbackThrottled(
            f"提交过于频繁，请稍后再试 (at most {RATE_LIMIT} messages an hour from one client)"
        )
    row = PublicFeedback(
        bulletin_id=bulletin_id,
        plan_id=plan_id,
        text=text,
        contact=contact,
        client_key=key,
        created_at=now,
        status="new",
        answer="",
        is_published=False,
    )
    session.add(row)
    session.flush()
    return row


def _require_office(user: UserInfo | None) -> None:
    if user is None or not user.can_manage:
        raise PermissionDenied("only the office (or an admin) reads and answers feedback")


def feedback_office(row: PublicFeedback) -> dict:
    return {
        "id": row.id,
        "bulletin_id": row.bulletin_id,
        "plan_id": row.plan_id,
        "text": row.text,
        "contact": row.contact,
        "created_at": row.created_at.isoformat(timespec="seconds"),
        "status": row.status,
        "answer": row.answer,
        "answered_at": row.answered_at.isoformat(timespec="seconds") if row.answered_at else None,
        "is_published": row.is_published,
    }


def feedback_public(row: PublicFeedback) -> dict:
    """What the public sees: the message and the published answer; no contact, no client."""
    return {
        "id": row.id,
        "text": row.text,
        "created_at": row.created_at.date().isoformat(),
        "answer": row.answer,
        "answered_at": row.answered_at.date().isoformat() if row.answered_at else None,
    }


def list_feedback(session: Session, user: UserInfo, *, status: str | None = None) -> list[dict]:
    _require_office(user)
    query = select(PublicFeedback).order_by(PublicFeedback.id.desc())
    if status:
        query = query.where(PublicFeedback.status == status)
    return [feedback_office(r) for r in session.scalars(query)]


def answer_feedback(
    session: Session, user: UserInfo, feedback_id: int, answer: str, *, publish: bool
) -> PublicFeedback:
    """The office's answer; ``publish`` shows message and answer on the public page."""
    _require_office(user)
    row = session.get(PublicFeedback, feedback_id)
    if row is None:
        raise NotFoundError(f"no feedback {feedback_id}")
    answer = clean_free_text(answer)
    if not answer:
        raise InputError("the answer is empty")
    if len(answer) > MAX_ANSWER:
        raise InputError(f"the answer has {len(answer)} characters; at most {MAX_ANSWER}")
    row.answer = answer
    row.status = "answered"
    row.answered_by = user_id_of(user)
    row.answered_at = utcnow()
    row.is_published = publish
    session.flush()
    return row


def published_feedback(
    session: Session, *, bulletin_id: int | None = None, plan_id: int | None = None
) -> list[dict]:
    query = select(PublicFeedback).where(
        PublicFeedback.is_published.is_(True), PublicFeedback.status == "answered"
    )
    if bulletin_id is not None:
        query = query.where(PublicFeedback.bulletin_id == bulletin_id)
    if plan_id is not None:
        query = query.where(PublicFeedback.plan_id == plan_id)
    return [feedback_public(r) for r in session.scalars(query.order_by(PublicFeedback.id))]
