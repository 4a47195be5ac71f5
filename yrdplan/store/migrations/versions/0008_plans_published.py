"""Plans as published: indicator tables, baselines, and the kind and table of a found target.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("table_key", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "plan_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("table_key", sa.String(length=16), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("is_indicator_table", sa.Boolean(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["plan_nodes.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["plan_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_tables", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_tables_version_id"), ["version_id"], unique=False)
    op.create_table(
        "plan_baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=200), nullable=False),
        sa.Column("indicator_code", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("base_year", sa.Integer(), nullable=True),
        sa.Column("relative_change", sa.Float(), nullable=True),
        sa.Column("table_key", sa.String(length=16), nullable=True),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["plan_nodes.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["plan_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_baselines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_baselines_version_id"), ["version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_baselines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_baselines_version_id"))
    op.drop_table("plan_baselines")
    with op.batch_alter_table("plan_tables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_tables_version_id"))
    op.drop_table("plan_tables")
    with op.batch_alter_table("plan_targets", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("table_key")
        batch_op.drop_column("kind")
