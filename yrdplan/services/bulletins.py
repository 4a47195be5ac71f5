"""Bulletins (通报) and evaluation reports: build from a frozen snapshot, write the office's
texts, publish, withdraw, download; every step through the audited session.

Rules
-----
* Only the office (or an admin) builds, edits, publishes and withdraws. A draft is visible to
  them alone; a published document to every signed-in user, and to the public (``user=None``)
  through the portal while the office keeps it open; a withdrawn one to the office only, with
  its reason.
* The snapshot is taken once, when the bulletin is built, and never changes; the files are
  rendered from it and the office's texts (``reports.documents``) and stored. Changing the texts
  of a draft re-renders its files; a published document cannot be edited (withdraw it and build
  a new one).
* Every change carries the ``row_version`` the writer read; a stale one is a ``ConflictError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from yrdplan.ingest.free_text import clean_free_text
from yrdplan.reports.documents import (
    FORMATS,
    RenderedFile,
    build_document,
    file_stem,
    render_documents,
)
from yrdplan.services.bulletin_snapshot import (
    STAGES,
    bulletin_snapshot,
    evaluation_snapshot,
    snapshot_digest,
)
from yrdplan.services.callers import user_id_of
from yrdplan.services.portal import require_portal_open
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.row_versions import flush_or_conflict
from yrdplan.store.schema import Bulletin, BulletinFile, utcnow

DEFAULT_ISSUER = "长三角区域合作办公室"
KINDS: tuple[str, ...] = ("bulletin", *STAGES)
STATUSES: tuple[str, ...] = ("draft", "published", "withdrawn")
#: The office's own sections, per kind of document (see ``reports.bulletin`` / ``evaluation``).
TEXT_FIELDS = {
    "bulletin": ("number", "summary", "highlights", "requirements"),
    "evaluation": ("number", "summary", "conclusions", "recommendations"),
}
MAX_TEXT = 20_000  # characters per section: pages of prose, not a pasted file
#: Formats stored at build time; PDF is printed on request (``build_files``) where chromium is.
STORED_FORMATS: tuple[str, ...] = ("docx", "xlsx", "html")


def require_office(user: UserInfo) -> None:
    if user is None or not user.can_manage:
        raise PermissionDenied("only the office (or an admin) may build, edit or publish bulletins")


def family(kind: str) -> str:
    return "bulletin" if kind == "bulletin" else "evaluation"


def _store_files(session: Session, bulletin: Bulletin, files: list[RenderedFile]) -> None:
    for rendered in files:
        row = session.get(BulletinFile, (bulletin.id, rendered.format))
        if row is None:
            row = BulletinFile(bulletin_id=bulletin.id, format=rendered.format)
            session.add(row)
        row.filename = rendered.filename
        row.content_type = rendered.content_type
        row.content = rendered.content
        row.size = len(rendered.content)
        row.sha256 = hashlib.sha256(rendered.content).hexdigest()
        row.built_at = utcnow()


def render_bulletin(
    bulletin: Bulletin, formats: list[str], progress: Callable[[str], None] | None = None
) -> list[RenderedFile]:
    """The files of a stored bulletin, rendered from its snapshot and texts (no database)."""
    return render_documents(
        bulletin.snapshot,
        bulletin.texts,
        formats,
        stem=file_stem(bulletin.snapshot, bulletin.id),
        progress=progress,
    )


def _create(
    session: Session, user: UserInfo, snapshot: dict, *, kind: str, plan_id, cycle_id, progress
) -> Bulletin:
    document = build_document(snapshot, {})
    bulletin = Bulletin(
        kind=kind,
        title=document.title[:300],
        period=snapshot["scope"].get("period") or snapshot["scope"]["as_of"],
        status="draft",
        snapshot=snapshot,
        snapshot_sha256=snapshot_digest(snapshot),
        texts={},
        created_by=user_id_of(user),
        plan_id=plan_id,
        cycle_id=cycle_id,
    )
    session.add(bulletin)
    session.flush()
    _store_files(session, bulletin, render_bulletin(bulletin, list(STORED_FORMATS), progress))
    return bulletin


def create_bulletin(
    session: Session,
    user: UserInfo,
    *,
    cycle_id: int | None = None,
    period: str | None = None,
    issuer: str = DEFAULT_ISSUER,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Bulletin:
    """Take the snapshot of a cycle or a period, store a draft 通报 with its files.

    Runs in the caller's write session: a stale monitoring run is recomputed and stored there.
    """
    require_office(user)
    snapshot = bulletin_snapshot(
        session,
        user,
        cycle_id=cycle_id,
        period=period,
        issuer=issuer,
        today=today,
    )
    if progress:
        progress("snapshot")
    plan_id = None
    if cycle_id is not None:
        plan_id = task_repo.get_cycle(session, cycle_id).plan_id
    return _create(
        session,
        user,
        snapshot,
        kind="bulletin",
        plan_id=plan_id,
        cycle_id=cycle_id,
        progress=progress,
    )


def create_evaluation(
    session: Session,
    user: UserInfo,
    plan_ref: str | int,
    stage: str,
    *,
    issuer: str = DEFAULT_ISSUER,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Bulletin:
    """Take the snapshot of a plan's evaluation, store a draft report with its files."""
    require_office(user)
    snapshot = evaluation_snapshot(session, user, plan_ref, stage, issuer=issuer, today=today)
    if progress:
        progress("snapshot")
    plan = plan_repo.find_plan(session, plan_ref)
    return _create(
        session, user, snapshot, kind=stage, plan_id=plan.id, cycle_id=None, progress=progress
    )


def get_bulletin(session: Session, bulletin_id: int) -> Bulletin:
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFoundError(f"no bulletin {bulletin_id}")
    return bulletin


def readable_bulletin(session: Session, user: UserInfo | None, bulletin_id: int) -> Bulletin:
    """The bulletin if ``user`` may read it: published for everyone (``None`` is the public,
    through the portal, and refused while it is closed), anything for the office. Otherwise it
    does not exist, as far as they can tell."""
    if user is None:
        require_portal_open(session)
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None or (
        bulletin.status != "published" and not (user is not None and user.can_manage)
    ):
        raise NotFoundError(f"no bulletin {bulletin_id}")
    return bulletin


def _check_version(bulletin: Bulletin, expected: int | None) -> None:
    if expected is not None and expected != bulletin.row_version:
        raise ConflictError(
            f"bulletin {bulletin.id} was changed by someone else (version {bulletin.row_version}, "
            f"you had {expected}); reload and try again"
        )


def _for_change(
    session: Session,
    user: UserInfo,
    bulletin_id: int,
    expected_version: int | None,
    *,
    needs: str,
    action: str,
    hint: str = "",
) -> Bulletin:
    """The bulletin the office is about to change, in the state the change needs."""
    require_office(user)
    bulletin = get_bulletin(session, bulletin_id)
    _check_version(bulletin, expected_version)
    if bulletin.status != needs:
        raise ConflictError(
            f"bulletin {bulletin_id} is {bulletin.status}; only a {needs} bulletin can be {action}"
            + (f" ({hint})" if hint else "")
        )
    return bulletin


def set_texts(
    session: Session,
    user: UserInfo,
    bulletin_id: int,
    texts: dict[str, str],
    *,
    expected_version: int | None = None,
) -> Bulletin:
    """Replace the office's sections of a draft and re-render its files."""
    bulletin = _for_change(
        session, user, bulletin_id, expected_version,
        needs="draft", action="edited", hint="withdraw it and build a new one",
    )  # fmt: skip
    allowed = TEXT_FIELDS[family(bulletin.kind)]
    unknown = sorted(set(texts) - set(allowed))
    if unknown:
        raise InputError(f"text field {unknown[0]!r} is not one of {', '.join(allowed)}")
    cleaned = {}
    for key in allowed:
        value = clean_free_text(texts.get(key, bulletin.texts.get(key, "")) or "").strip()
        if len(value) > MAX_TEXT:
            raise InputError(f"text field {key!r} is {len(value)} characters; at most {MAX_TEXT}")
        if value:
            cleaned[key] = value
    bulletin.texts = cleaned
    title = build_document(bulletin.snapshot, cleaned).title
    bulletin.title = title[:300]
    flush_or_conflict(session, f"bulletin {bulletin_id}")
    _store_files(session, bulletin, render_bulletin(bulletin, list(STORED_FORMATS)))
    session.query(BulletinFile).filter(
        BulletinFile.bulletin_id == bulletin.id, BulletinFile.format == "pdf"
    ).delete()
    return bulletin


def publish(
    session: Session, user: UserInfo, bulletin_id: int, *, expected_version: int | None = None
) -> Bulletin:
    """Publish a draft: from now on anyone may read and download it."""
    bulletin = _for_change(
        session, user, bulletin_id, expected_version, needs="draft", action="published"
    )
    bulletin.status = "published"
    bulletin.published_at = utcnow()
    bulletin.published_by = user_id_of(user)
    flush_or_conflict(session, f"bulletin {bulletin_id}")
    return bulletin


def withdraw(
    session: Session,
    user: UserInfo,
    bulletin_id: int,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Bulletin:
    """Withdraw a published bulletin with a reason; it disappears from the public portal."""
    require_office(user)
    reason = " ".join(clean_free_text(reason or "").split())
    if not reason:
        raise InputError("a withdrawal needs a reason (--reason)")
    bulletin = _for_change(
        session, user, bulletin_id, expected_version, needs="published", action="withdrawn"
    )
    bulletin.status = "withdrawn"
    bulletin.withdrawn_at = utcnow()
    bulletin.withdrawn_by = user_id_of(user)
    bulletin.withdrawn_reason = reason[:2000]
    flush_or_conflict(session, f"bulletin {bulletin_id}")
    return bulletin


def bulletin_public(bulletin: Bulletin, *, full: bool = False) -> dict:
    """The documented fields of ``yrdplan bulletin list --format json`` (``full`` adds the
    office's texts and the withdrawal)."""
    scope = bulletin.snapshot.get("scope", {})
    data = {
        "id": bulletin.id,
        "kind": bulletin.kind,
        "title": bulletin.title,
        "status": bulletin.status,
        "scope": scope.get("type"),
        "plan": scope.get("plan"),
        "cycle_id": bulletin.cycle_id,
        "period": bulletin.period,
        "as_of": scope.get("as_of"),
        "issuer": bulletin.snapshot.get("issuer"),
        "snapshot_sha256": bulletin.snapshot_sha256,
        "simulated": bool(bulletin.snapshot.get("simulated")),
        "created_at": bulletin.created_at.isoformat(timespec="seconds")
        if bulletin.created_at
        else None,
        "published_at": bulletin.published_at.isoformat(timespec="seconds")
        if bulletin.published_at
        else None,
        "row_version": bulletin.row_version,
    }
    if full:
        data["texts"] = dict(bulletin.texts)
        data["withdrawn_at"] = (
            bulletin.withdrawn_at.isoformat(timespec="seconds") if bulletin.withdrawn_at else None
        )
        data["withdrawn_reason"] = bulletin.withdrawn_reason
    return data


def list_bulletins(
    session: Session, user: UserInfo | None, *, status: str | None = None, kind: str | None = None
) -> list[dict]:
    """Bulletins ``user`` may see, newest first: published only for anyone but the office
    (``None`` is the public, through the portal, and refused while it is closed)."""
    if user is None:
        require_portal_open(session)
    if status is not None and status not in STATUSES:
        raise InputError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if kind is not None and kind not in KINDS:
        raise InputError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    query = select(Bulletin).order_by(Bulletin.id.desc())
    if user is None or not user.can_manage:
        query = query.where(Bulletin.status == "published")
    if status is not None:
        query = query.where(Bulletin.status == status)
    if kind is not None:
        query = query.where(Bulletin.kind == kind)
    return [bulletin_public(b) for b in session.scalars(query)]


def bulletin_file(
    session: Session, user: UserInfo | None, bulletin_id: int, fmt: str
) -> BulletinFile:
    """A stored file of a bulletin ``user`` may read (``NotFoundError`` otherwise)."""
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    readable_bulletin(session, user, bulletin_id)
    row = session.get(BulletinFile, (bulletin_id, fmt))
    if row is None:
        raise NotFoundError(f"bulletin {bulletin_id} has no {fmt} file yet")
    return row


def build_files(
    session: Session, user: UserInfo, bulletin_id: int, formats: list[str]
) -> list[BulletinFile]:
    """(Re)render and store ``formats`` of a bulletin from its snapshot (the office; for PDF)."""
    require_office(user)
    bulletin = get_bulletin(session, bulletin_id)
    _store_files(session, bulletin, render_bulletin(bulletin, formats))
    session.flush()
    return [session.get(BulletinFile, (bulletin.id, f)) for f in formats]
