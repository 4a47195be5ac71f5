"""The database schema for the whole system, as SQLAlchemy 2 declarative models.

One schema for SQLite and PostgreSQL: portable types only (no ARRAY, no JSONB operators).
Revisions never overwrite: plans add ``plan_versions``, targets and observations add rows and
flip ``is_current``. The audit log is append-only (triggers in the first migration).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    # Naive UTC: SQLite has no time zones, and both backends must read back the same value.
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Base of every table; ``__audited__ = False`` opts a table out of the audit log."""

    __audited__ = True
    __audit_redact__: frozenset[str] = frozenset()  # columns whose values the audit log hides


# --- instance and sources -------------------------------------------------------------------


class InstanceSetting(Base):
    __tablename__ = "instance_settings"
    __audited__ = False  # holds the session key: never copy it into the audit log

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DataSource(Base):
    """Where shipped data came from: package, version, licence."""

    __tablename__ = "data_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # regions, outlines, plans, catalogue, demo
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64), default="")
    licence: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- regions ----------------------------------------------------------------------------------


class Region(Base):
    """An administrative division (GB/T 2260 code) for the span of time it existed as such."""

    __tablename__ = "regions"
    __table_args__ = (
        UniqueConstraint("code", "valid_from", name="uq_regions_code_valid_from"),
        Index("ix_regions_parent", "parent_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(16))  # region, province, city, county
    parent_code: Mapped[str | None] = mapped_column(String(6))
    province_code: Mapped[str | None] = mapped_column(String(6))
    valid_from: Mapped[date | None] = mapped_column(Date)  # None: existed before records began
    valid_to: Mapped[date | None] = mapped_column(Date)
    area_km2: Mapped[float | None] = mapped_column(Float)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("data_sources.id"))


class RegionOutline(Base):
    """A region's boundary, simplified for the web, as GeoJSON geometry text."""

    __tablename__ = "region_outlines"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    geometry: Mapped[str] = mapped_column(Text)
    tolerance: Mapped[float] = mapped_column(Float)


class RegionGroup(Base):
    __tablename__ = "region_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(16), default="user")  # builtin or user
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RegionGroupMember(Base):
    __tablename__ = "region_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("region_groups.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)


class RegionChange(Base):
    """A boundary change as a crosswalk row: share ``weight`` of ``from_code`` went to ``to_code``."""

    __tablename__ = "region_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_code: Mapped[str] = mapped_column(String(6), index=True)
    to_code: Mapped[str] = mapped_column(String(6), index=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    effective_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


# --- units, users, roles ---------------------------------------------------------------------


class Unit(Base):
    """A responsible unit: department, district or city, or thematic working group."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="department")
    region_code: Mapped[str | None] = mapped_column(String(6))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    short_name: Mapped[str] = mapped_column(String(64), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A unit merged into another keeps its row (the audit log and old reports name it).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))


class PlanUnit(Base):
    """The registry of units that take part in one plan."""

    __tablename__ = "plan_units"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class User(Base):
    __tablename__ = "users"
    __audit_redact__ = frozenset({"password_hash"})  # the log records that it changed, not the hash

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(
        String(32)
    )  # admin, office, unit_reporter, data_steward, viewer
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set by an admin's password reset: the next log-in leads to "set a new password" first.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class UserRegion(Base):
    """The regions whose data a data steward may edit."""

    __tablename__ = "user_regions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A signed-in browser session. The cookie holds only a random token; this row holds the rest.

    The row's key is the token's SHA-256, so a copy of the table cannot be replayed as cookies.
    A session ends (``ended_at``) on log-out, password, role or unit change, deactivation, or by
    an admin; it also lapses after ``session_idle_minutes`` without use or at ``expires_at``.
    """

    __tablename__ = "web_sessions"
    __audited__ = False  # touched on use; the audit log records the account changes that end it

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str] = mapped_column(String(32), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __audited__ = False  # its own log; failed log-ins are not data changes

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


# --- plans ------------------------------------------------------------------------------------


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(6))
    issuer: Mapped[str] = mapped_column(String(200), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    round: Mapped[str] = mapped_column(String(32), default="")  # e.g. "2024-2026" for action plans
    parent_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PlanVersion(Base):
    """One edition of a plan's text with what the importer read from it."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_versions"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    source_name: Mapped[str] = mapped_column(String(300), default="")
    source_format: Mapped[str] = mapped_column(String(16), default="text")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    original_text: Mapped[str] = mapped_column(Text, default="")
    clean_text: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PlanNode(Base):
    """A node of one plan version's tree; ``start``/``end`` point into ``original_text``."""

    __tablename__ = "plan_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    node_key: Mapped[str] = mapped_column(String(32))  # "n12": the parser's id, stable in a version
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(32), default="")
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str] = mapped_column(
        String(200), default=""
    )  # numbering path, e.g. "三/（二）/12"
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)
    is_task: Mapped[bool] = mapped_column(Boolean, default=False)


class PlanTarget(Base):
    """A quantitative target as the importer found it in one plan version's text.

    Confirming the version turns the ones matched to the catalogue into ``targets`` revisions.
    """

    __tablename__ = "plan_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    position: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(200))
    indicator_code: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    value_high: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32), default="")
    comparator: Mapped[str] = mapped_column(String(8))
    year: Mapped[int | None] = mapped_column(Integer)
    base_year: Mapped[int | None] = mapped_column(Integer)
    relative_change: Mapped[float | None] = mapped_column(Float)
    standard: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)
    # Plans as published (migration 0009): 约束性/预期性, the indicator table it came from.
    kind: Mapped[str | None] = mapped_column(String(16))
    table_key: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class NodeLink(Base):
    """A lower plan's node implements a higher plan's node (city → province → national)."""

    __tablename__ = "node_links"
    __table_args__ = (UniqueConstraint("lower_node_id", "upper_node_id", name="uq_node_links"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lower_node_id: Mapped[int] = mapped_column(ForeignKey("plan_nodes.id"), index=True)
    upper_node_id: Mapped[int] = mapped_column(ForeignKey("plan_nodes.id"), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default="suggested"
    )  # suggested/confirmed/rejected
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --- delivery tracking ------------------------------------------------------------------------


class Task(Base):
    """A deliverable: a plan leaf (or a sub-task of one) with its responsibility and progress."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    key: Mapped[str] = mapped_column(String(200))  # numbering path; survives new plan versions
    label: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(Text)
    area: Mapped[str] = mapped_column(String(200), default="")
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    # A standing-task phrase (长期坚持, 持续推进) kept when ``deadline`` is None on purpose.
    deadline_note: Mapped[str] = mapped_column(String(32), default="", server_default="")
    parent_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    upper_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))  # decomposes this
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    region_code: Mapped[str | None] = mapped_column(String(6))
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    is_major_project: Mapped[bool] = mapped_column(Boolean, default=False)
    planned_investment: Mapped[float | None] = mapped_column(Float)  # 亿元
    actual_investment: Mapped[float | None] = mapped_column(Float)
    location_code: Mapped[str | None] = mapped_column(String(6))
    percent: Mapped[float | None] = mapped_column(Float)
    progress_text: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[date | None] = mapped_column(Date)
    row_version: Mapped[int] = mapped_column(
        Integer, default=1
    )  # optimistic lock for concurrent edits
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False)

    __mapper_args__ = {"version_id_col": row_version}


class TaskSupportingUnit(Base):
    __tablename__ = "task_supporting_units"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    # The order the checklist lists them in (the first is usually the main partner).
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)


class ReportingCycle(Base):
    __tablename__ = "reporting_cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="monthly")  # monthly, quarterly, ad_hoc
    opens_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ProgressReport(Base):
    __tablename__ = "progress_reports"
    __table_args__ = (
        UniqueConstraint("cycle_id", "task_id", "unit_id", name="uq_progress_reports"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("reporting_cycles.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), default="on_track")
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    narrative: Mapped[str] = mapped_column(Text, default="")
    blockers: Mapped[str] = mapped_column(Text, default="")  # 难点堵点 needing coordination
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    review_state: Mapped[str] = mapped_column(String(16), default="submitted")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False)

    __mapper_args__ = {"version_id_col": row_version}


class EvidenceFile(Base):
    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


# --- indicators -------------------------------------------------------------------------------


class IndicatorRecord(Base):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(32), default="")
    direction: Mapped[str] = mapped_column(String(8))  # higher, lower, band — never defaulted
    kind: Mapped[str] = mapped_column(String(16), default="indicative")
    area: Mapped[str] = mapped_column(String(100), default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    aggregation: Mapped[str] = mapped_column(String(16), default="none")
    weight_indicator: Mapped[str | None] = mapped_column(String(64))
    formula: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(String(8), default="year")
    synonyms: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A retired indicator keeps its observations and targets; it takes no new ones.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)


class TargetRecord(Base):
    """One revision of a target; ``target_key`` ties the revisions of one target together."""

    __tablename__ = "targets"
    __table_args__ = (Index("ix_targets_current", "indicator_code", "region_code", "is_current"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_key: Mapped[str] = mapped_column(String(200), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    indicator_code: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(6))
    group_code: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    comparator: Mapped[str] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Float)
    value_high: Mapped[float | None] = mapped_column(Float)
    base_year: Mapped[int | None] = mapped_column(Integer)
    base_value: Mapped[float | None] = mapped_column(Float)
    relative_change: Mapped[float | None] = mapped_column(Float)
    standard: Mapped[str | None] = mapped_column(String(64))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ObservationRecord(Base):
    """One value; a revision adds a row with a newer vintage and clears ``is_current`` on the old."""

    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_series", "indicator_code", "region_code", "period"),
        Index("ix_observations_current", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    indicator_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")
    vintage: Mapped[str] = mapped_column(String(32), default="")
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TaskIndicator(Base):
    """Which tasks serve an indicator, so a red warning leads to the units behind it."""

    __tablename__ = "task_indicators"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(64), primary_key=True)


class MonitorResult(Base):
    """The stored calculation components of one progress-engine run, row per region × target."""

    __tablename__ = "monitor_results"
    __audited__ = False  # derived data, recomputed from audited inputs
    __table_args__ = (Index("ix_monitor_results_series", "indicator_code", "region_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    region_code: Mapped[str] = mapped_column(String(6))
    indicator_code: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    components: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(24))
    warning: Mapped[str | None] = mapped_column(String(8))


class MonitorRun(Base):
    """One progress-engine run: who ran it, on which data state, with which options.

    ``fingerprint`` summarises the inputs (observations, targets, crosswalk) so a page can tell
    whether the latest full run still describes the data or must be recomputed.
    """

    __tablename__ = "monitor_runs"
    __audited__ = False  # derived data, like monitor_results

    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[dict] = mapped_column(JSON, default=dict)  # region / indicator filters
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # vintage, boundaries, engine
    fingerprint: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)


# --- bulletins and audit ----------------------------------------------------------------------


class Bulletin(Base):
    """A 通报 or evaluation report, kept with the snapshot of data it was written from.

    The documents are a function of ``snapshot`` and ``texts`` alone (see ``reports.documents``):
    rebuilding them later gives the same files whatever has changed in the database since.
    """

    __tablename__ = "bulletins"
    # The snapshot is large and fixed once written; the log records that it was set, not its body.
    __audit_redact__ = frozenset({"snapshot"})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # bulletin, ex_ante, mid_term, final
    title: Mapped[str] = mapped_column(String(300))
    period: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, published, withdrawn
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # --- bulletins and evaluations (migration 0007)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_cycles.id"))
    snapshot_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    texts: Mapped[dict] = mapped_column(JSON, default=dict)  # the office's own sections
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}


class AuditEntry(Base):
    """Append-only: who changed what, when, old → new. Triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)  # no FK: a deleted user's rows stay
    username: Mapped[str] = mapped_column(String(64), default="system")
    action: Mapped[str] = mapped_column(String(16))  # insert, update, delete
    entity: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    old: Mapped[dict | None] = mapped_column(JSON)
    new: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")


# --- regional coordination ----------------------------------------------------------------------


class IndexBuild(Base):
    """One build of the composite integration index (一体化指数): its config, data state, results.

    ``results`` holds one object per region (code, name, score, rank, rank interval, dimension
    scores); ``details`` the weights, drop-one effects, imputed cells, exclusions and warnings.
    A page reads the latest build; it never builds one.
    """

    __tablename__ = "index_builds"
    __audited__ = False  # derived data, rebuilt from audited inputs; who built it is kept here

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(8))
    regions: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    config_text: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(200), default="")
    data_vintage: Mapped[str] = mapped_column(String(32), default="")
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    results: Mapped[list] = mapped_column(JSON, default=list)
    details: Mapped[dict] = mapped_column(JSON, default=dict)


# --- benefit sharing and compensation ---------------------------------------------------------


class BenefitSite(Base):
    """A place or account that is not a region: a monitoring section (断面), a co-built park, a
    joint fund. Agreements read the site's own observations (``site_observations``)."""

    __tablename__ = "benefit_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # section, park, fund
    river: Mapped[str] = mapped_column(String(100), default="")
    upstream_code: Mapped[str | None] = mapped_column(String(6))
    downstream_code: Mapped[str | None] = mapped_column(String(6))
    host_code: Mapped[str | None] = mapped_column(String(6))  # the region it lies in
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")


class SiteObservation(Base):
    """One value at a site; revised like ``observations`` (a newer vintage adds a row)."""

    __tablename__ = "site_observations"
    __table_args__ = (
        Index("ix_site_observations_series", "site_code", "indicator_code", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_code: Mapped[str] = mapped_column(String(64))
    indicator_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")
    vintage: Mapped[str] = mapped_column(String(32), default="")
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Agreement(Base):
    """A compensation or sharing agreement; its terms live in ``agreement_versions``."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))  # water_quality, equalising_transfer, …
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AgreementVersion(Base):
    """One version of an agreement's terms (the whole file as JSON), with the reason for it."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "version", name="uq_agreement_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Settlement(Base):
    """A settlement (结算) of one agreement for one period, or an adjustment of a confirmed one.

    A draft may be recomputed; a confirmed or paid row never changes its figures: a later
    revision of its inputs adds an adjustment row (``adjusts_id``) with the difference.
    """

    __tablename__ = "settlements"
    __table_args__ = (Index("ix_settlements_agreement_period", "agreement_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    agreement_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16), default="settlement")  # or adjustment
    adjusts_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, confirmed, paid
    outcome: Mapped[str] = mapped_column(String(24))  # computed, insufficient_data
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # inputs, steps, parties, transfers
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")


# --- plans as published: tables and baselines -------------------------------------------------


class PlanTableRecord(Base):
    """A table of one plan version's document (merged cells filled), for the review page."""

    __tablename__ = "plan_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    table_key: Mapped[str] = mapped_column(String(16))  # "t1": the parser's id in the version
    node_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    rows: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    is_indicator_table: Mapped[bool] = mapped_column(Boolean, default=False)
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)


class PlanBaseline(Base):
    """A past or base-year value a plan version states: a baseline, never a target.

    Importing it writes an observation whose source names the plan and version.
    """

    __tablename__ = "plan_baselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    position: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(200))
    indicator_code: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    base_year: Mapped[int | None] = mapped_column(Integer)
    relative_change: Mapped[float | None] = mapped_column(Float)
    table_key: Mapped[str | None] = mapped_column(String(16))
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)


# --- bulletins, evaluations and the public portal --------------------------------------------


class BulletinFile(Base):
    """One rendered document of a bulletin (docx, xlsx, html, pdf), built from its snapshot."""

    __tablename__ = "bulletin_files"
    __audited__ = False  # derived from the audited snapshot and texts; rebuilt at will

    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id"), primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EvaluationAssessment(Base):
    """A qualitative assessment of a plan at one evaluation stage: self (政府自评) or
    third-party (第三方评估), with a score per dimension and its text."""

    __tablename__ = "evaluation_assessments"
    __table_args__ = (
        UniqueConstraint("plan_id", "stage", "kind", "assessor", name="uq_evaluation_assessments"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # ex_ante, mid_term, final
    kind: Mapped[str] = mapped_column(String(16))  # self, third_party
    assessor: Mapped[str] = mapped_column(String(200))  # the organisation that assessed
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # dimension -> score (0-100)
    text: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PublicFeedback(Base):
    """意见建议 left by a visitor on a published bulletin or plan; the office answers."""

    __tablename__ = "public_feedback"
    # Contact details and the client key are personal data: never copied into the audit log.
    __audit_redact__ = frozenset({"contact", "client_key"})

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletins.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200), default="")  # never shown publicly
    client_key: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the client
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")  # new, read, answered
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)


# --- fast under load: data versions ---------------------------------------------------------


class DataVersion(Base):
    """One counter per table, bumped in the same transaction as every write to that table.

    Results computed from the data are kept under the versions of the tables they read
    (:mod:`yrdplan.store.versions`, :mod:`yrdplan.store.computed`), so any worker on any
    machine can tell whether what it holds is still current with one small query.
    """

    __tablename__ = "data_versions"
    __audited__ = False  # bookkeeping of writes that the audit log already records

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # a table name
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ComputedResult(Base):
    """A result built from the data (a page's data, a roll-up), shared by every worker.

    ``versions`` are the data versions of the tables it was built from; it is valid while they
    hold (:mod:`yrdplan.store.computed`). A cache: never backed up, rebuilt when missing.
    """

    __tablename__ = "computed_results"
    __audited__ = False

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the result's key
    versions: Mapped[dict] = mapped_column(JSON)
    value: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed pickle
    built_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


# --- office administration (issue 11) ---------------------------------------------------------


class PendingImport(Base):
    """An uploaded file between its preview and the user's confirm or cancel.

    Nothing from the file is written before confirm; this row keeps the upload so that confirm
    imports exactly the file that was previewed. It is deleted on confirm or cancel.
    """

    __tablename__ = "pending_imports"
    __audited__ = False  # not data yet; the confirmed import is audited row by row

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
