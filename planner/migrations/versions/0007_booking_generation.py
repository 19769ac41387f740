"""booking generation: a counter bumped by triggers at each change of what free slots depend on

Cached answers of the free-slots API (``planner.booking.answer_cache``) are keyed on this counter,
so they are never stale whoever writes: this app, another process, a manager's raw SQL. The
triggers cover every table a free-slot answer is made of: appointment, slot, motif, site and
staffmember.

- SQLite: one trigger per table and event; all writers already queue on the database's one
  write lock, so the counter adds no waiting.
- PostgreSQL: a deferred constraint trigger bumps the counter once per transaction at commit
  time, so the counter's row lock is the last lock a writer takes and is held only while it
  commits (no deadlock, no wait during the transaction).

The counter's row is created on first use, not here: a freshly migrated database holds no row
(a backup can be restored into it). Without the row the cache is simply not used.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-22 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Keep in step with ``planner.booking.answer_cache.TRACKED_TABLES``.
TABLES = ('appointment', 'slot', 'motif', 'site', 'staffmember')
EVENTS = ('insert', 'update', 'delete')
BUMP_FUNCTION = 'booking_generation_bump'
BUMP_SETTING = 'creneau.booking_generation_bumped'


def upgrade() -> None:
    op.create_table('booking_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f"CREATE FUNCTION {BUMP_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF current_setting('{BUMP_SETTING}', true) IS DISTINCT FROM 'on' THEN\n"
            "    UPDATE booking_generation SET value = value + 1 WHERE id = 1;\n"
            f"    PERFORM set_config('{BUMP_SETTING}', 'on', true);\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$")
        for table in TABLES:
            op.execute(f"CREATE CONSTRAINT TRIGGER booking_generation_{table} "
                       f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {BUMP_FUNCTION}()")
            op.execute(f"CREATE TRIGGER booking_generation_{table}_truncate AFTER TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {BUMP_FUNCTION}()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"CREATE TRIGGER booking_generation_{table}_{event} AFTER {event.upper()} "
                           f"ON {table} BEGIN UPDATE booking_generation SET value = value + 1 "
                           "WHERE id = 1; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS booking_generation_{table}_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS booking_generation_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {BUMP_FUNCTION}()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS booking_generation_{table}_{event}")
    op.drop_table('booking_generation')
