"""Delivery tracking: standing-task deadline notes, supporting units' order, cycle closing time,
simulated cycles.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Server defaults fill the rows that exist already (tasks made when seed plans were confirmed).
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deadline_note", sa.String(length=32), nullable=False, server_default="")
        )
    with op.batch_alter_table("task_supporting_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("reporting_cycles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("is_simulated", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("reporting_cycles", schema=None) as batch_op:
        batch_op.drop_column("is_simulated")
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("task_supporting_units", schema=None) as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("deadline_note")
