"""booking: mail outbox, appointment language and revision

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import planner.models.types  # noqa: F401

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mailmessage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('ics', sa.Text(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', planner.models.types.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', planner.models.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', planner.models.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', planner.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('mailmessage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailmessage_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailmessage_next_attempt_at'), ['next_attempt_at'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=5),
                                      nullable=False, server_default='fr'))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('revision')
        batch_op.drop_column('locale')
    with op.batch_alter_table('mailmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailmessage_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_mailmessage_appointment_id'))
    op.drop_table('mailmessage')
