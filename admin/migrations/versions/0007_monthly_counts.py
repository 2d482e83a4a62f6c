"""Monthly counts: the daily counts of each calendar month summed, filled from those already stored.

A report over a half year then reads six rows per officer, desk and score
instead of about 180.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monthly_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'officer_id', 'desk_id', 'score', name=op.f('pk_monthly_counts'))
    )
    with op.batch_alter_table('monthly_counts', schema=None) as batch_op:
        batch_op.create_index('ix_monthly_counts_officer_day', ['officer_id', 'day'], unique=False)

    month = "date_trunc('month', day)::date" if op.get_bind().dialect.name == 'postgresql' else "date(day, 'start of month')"
    op.execute(
        "INSERT INTO monthly_counts (day, officer_id, desk_id, score, count) "
        f"SELECT {month}, officer_id, desk_id, score, SUM(count) FROM daily_counts "
        f"GROUP BY {month}, officer_id, desk_id, score"
    )


def downgrade():
    with op.batch_alter_table('monthly_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_monthly_counts_officer_day')

    op.drop_table('monthly_counts')
