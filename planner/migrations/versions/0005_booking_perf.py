"""booking performance: the free-slot search reads one covering index

The search for free slots of a motif walks ``slot`` by (motif, start) and needs the slot's id
(the ``ORDER BY starts_at, id`` tie-break), end, clinician, mode, withdrawn flag and release
time. With all of them in the index, a week of slots is read without touching the table and
without sorting. It replaces ``ix_slot_motif_start`` (the same leading columns).

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-22 17:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ['motif_id', 'starts_at', 'id', 'ends_at', 'staff_id', 'mode', 'withdrawn', 'held_until']


def upgrade() -> None:
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.create_index('ix_slot_motif_start_cover', COLUMNS, unique=False)
        batch_op.drop_index('ix_slot_motif_start')


def downgrade() -> None:
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.create_index('ix_slot_motif_start', ['motif_id', 'starts_at'], unique=False)
        batch_op.drop_index('ix_slot_motif_start_cover')
