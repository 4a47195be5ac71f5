"""Fast under load: one version counter per table, bumped by every write; results built from
the data, shared by every worker.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "computed_results",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("computed_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_computed_results_built_at"), ["built_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("computed_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_computed_results_built_at"))
    op.drop_table("computed_results")
    op.drop_table("data_versions")
