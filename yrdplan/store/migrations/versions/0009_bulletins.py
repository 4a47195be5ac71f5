"""Bulletins and evaluations: scope, office texts, publication and withdrawal on ``bulletins``;
rendered files, evaluation assessments and public feedback.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cycle_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("snapshot_sha256", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("texts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("published_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("withdrawn_reason", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("row_version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.create_foreign_key("fk_bulletins_plan_id", "plans", ["plan_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_bulletins_cycle_id", "reporting_cycles", ["cycle_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_bulletins_published_by", "users", ["published_by"], ["id"])
        batch_op.create_foreign_key("fk_bulletins_withdrawn_by", "users", ["withdrawn_by"], ["id"])
    op.execute("UPDATE bulletins SET texts = '{}' WHERE texts IS NULL")
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.alter_column("texts", existing_type=sa.JSON(), nullable=False)

    op.create_table(
        "bulletin_files",
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"]),
        sa.PrimaryKeyConstraint("bulletin_id", "format"),
    )
    op.create_table(
        "evaluation_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["entered_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "plan_id", "stage", "kind", "assessor", name="uq_evaluation_assessments"
        ),
    )
    with op.batch_alter_table("evaluation_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_assessments_plan_id"), ["plan_id"], unique=False
        )
    op.create_table(
        "public_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("is_published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("public_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_feedback_bulletin_id"), ["bulletin_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_public_feedback_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_public_feedback_client_key"), ["client_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_public_feedback_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("public_feedback")
    op.drop_table("evaluation_assessments")
    op.drop_table("bulletin_files")
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.drop_constraint("fk_bulletins_withdrawn_by", type_="foreignkey")
        batch_op.drop_constraint("fk_bulletins_published_by", type_="foreignkey")
        batch_op.drop_constraint("fk_bulletins_cycle_id", type_="foreignkey")
        batch_op.drop_constraint("fk_bulletins_plan_id", type_="foreignkey")
        for column in (
            "row_version",
            "withdrawn_reason",
            "withdrawn_by",
            "withdrawn_at",
            "published_by",
            "texts",
            "snapshot_sha256",
            "cycle_id",
            "plan_id",
        ):
            batch_op.drop_column(column)
