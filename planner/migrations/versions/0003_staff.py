"""staff sign-in: sessions, failed attempts, immutable audit trail

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import planner.models.types  # noqa: F401

revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION creneau_audit_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit rows cannot be changed or deleted';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table('signinfailure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', planner.models.types.UTCDateTime(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('signinfailure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signinfailure_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_signinfailure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signinfailure_ip'), ['ip'], unique=False)

    op.create_table('staffsession',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', planner.models.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', planner.models.types.UTCDateTime(), nullable=False),
    sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('second_factor_ok', sa.Boolean(), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['useraccount.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staffsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staffsession_user_id'), ['user_id'], unique=False)

    op.create_table('rosterpin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('shift_type_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['roster_id'], ['roster.id'], ),
    sa.ForeignKeyConstraint(['shift_type_id'], ['shifttype.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staffmember.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('roster_id', 'staff_id', 'day')
    )
    with op.batch_alter_table('rosterpin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rosterpin_roster_id'), ['roster_id'], unique=False)

    with op.batch_alter_table('rosterviolation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift_type_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_rosterviolation_shift_type_id', 'shifttype',
                                    ['shift_type_id'], ['id'])

    # The audit trail is append-only, whatever the application does.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON auditevent "
                   "FOR EACH ROW EXECUTE FUNCTION creneau_audit_is_append_only()")
        op.execute("CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
                   "FOR EACH STATEMENT EXECUTE FUNCTION creneau_audit_is_append_only()")
    else:
        op.execute("CREATE TRIGGER auditevent_no_update BEFORE UPDATE ON auditevent "
                   "BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed or deleted'); END")
        op.execute("CREATE TRIGGER auditevent_no_delete BEFORE DELETE ON auditevent "
                   "BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed or deleted'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS auditevent_no_truncate ON auditevent")
        op.execute("DROP TRIGGER IF EXISTS auditevent_append_only ON auditevent")
        op.execute("DROP FUNCTION IF EXISTS creneau_audit_is_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS auditevent_no_update")
        op.execute("DROP TRIGGER IF EXISTS auditevent_no_delete")
    with op.batch_alter_table('rosterviolation', schema=None) as batch_op:
        batch_op.drop_constraint('fk_rosterviolation_shift_type_id', type_='foreignkey')
        batch_op.drop_column('shift_type_id')
    with op.batch_alter_table('rosterpin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rosterpin_roster_id'))
    op.drop_table('rosterpin')
    with op.batch_alter_table('staffsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staffsession_user_id'))
    op.drop_table('staffsession')
    with op.batch_alter_table('signinfailure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signinfailure_ip'))
        batch_op.drop_index(batch_op.f('ix_signinfailure_at'))
        batch_op.drop_index(batch_op.f('ix_signinfailure_account'))
    op.drop_table('signinfailure')
