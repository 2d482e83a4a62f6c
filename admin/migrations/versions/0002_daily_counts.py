"""Pre-aggregated daily counts for the reports, filled from the ratings already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'officer_id', 'desk_id', 'score', name=op.f('pk_daily_counts'))
    )
    with op.batch_alter_table('daily_counts', schema=None) as batch_op:
        batch_op.create_index('ix_daily_counts_officer_day', ['officer_id', 'day'], unique=False)

    op.create_table('daily_reason_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'officer_id', 'desk_id', 'reason_code', name=op.f('pk_daily_reason_counts'))
    )
    with op.batch_alter_table('daily_reason_counts', schema=None) as batch_op:
        batch_op.create_index('ix_daily_reason_counts_officer_day', ['officer_id', 'day'], unique=False)

    # Ratings stored before this revision are counted too; officer 0 stands
    # for "nobody on duty".
    op.execute(
        "INSERT INTO daily_counts (day, officer_id, desk_id, score, count) "
        "SELECT day, COALESCE(officer_id, 0), desk_id, score, COUNT(*) FROM ratings "
        "GROUP BY day, COALESCE(officer_id, 0), desk_id, score"
    )
    op.execute(
        "INSERT INTO daily_reason_counts (day, officer_id, desk_id, reason_code, count) "
        "SELECT r.day, COALESCE(r.officer_id, 0), r.desk_id, rr.reason_code, COUNT(*) "
        "FROM rating_reasons rr JOIN ratings r ON r.id = rr.rating_id "
        "GROUP BY r.day, COALESCE(r.officer_id, 0), r.desk_id, rr.reason_code"
    )


def downgrade():
    with op.batch_alter_table('daily_reason_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_reason_counts_officer_day')

    op.drop_table('daily_reason_counts')
    with op.batch_alter_table('daily_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_counts_officer_day')

    op.drop_table('daily_counts')
