"""Drop the rating indexes no query uses since the reports read the daily counts.

Every rating a kiosk sends updates every index of ``ratings``; the reports,
the scorecards and the ranking read ``daily_counts`` instead, and the
complaint list reaches ratings through ``rating_reasons``. The index on
``(kiosk_id, seq)`` stays: it finds a kiosk's gaps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

DROPPED = {
    'ix_ratings_officer_day': ['officer_id', 'day'],
    'ix_ratings_unit_day': ['unit_id', 'day'],
    'ix_ratings_day': ['day'],
}


def upgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        for name in DROPPED:
            batch_op.drop_index(name)


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        for name, columns in DROPPED.items():
            batch_op.create_index(name, columns, unique=False)
