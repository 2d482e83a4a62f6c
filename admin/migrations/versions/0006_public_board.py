"""The public board: cases published by inspectors, and the tracking code of every complaint.

Existing complaints get their tracking code here, computed from their rating's
UUID as the kiosk computes it (``admin.tracking``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BATCH = 1000


def _code(rating_uuid: uuid.UUID) -> str:
    # A copy of admin.tracking.stored_code: a migration must not change when the code does.
    value = rating_uuid.int & ((1 << 50) - 1)
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(45, -1, -5))


def _backfill_codes():
    ratings = sa.table('ratings', sa.column('id', sa.BigInteger()), sa.column('uuid', sa.Uuid()))
    links = sa.table('case_ratings', sa.column('rating_id', sa.BigInteger()), sa.column('tracking_code', sa.String(10)))
    conn = op.get_bind()
    found = conn.execute(
        sa.select(links.c.rating_id, ratings.c.uuid).join(ratings, ratings.c.id == links.c.rating_id)
    ).all()
    update = links.update().where(links.c.rating_id == sa.bindparam('rid')).values(tracking_code=sa.bindparam('code'))
    for start in range(0, len(found), BATCH):
        conn.execute(update, [{'rid': rid, 'code': _code(value)} for rid, value in found[start:start + BATCH]])


def upgrade():
    # Columns and indexes only: SQLite adds them in place, so ``cases``, which other tables
    # reference, is never rebuilt (a rebuild would drop it under their foreign keys).
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('show_officer', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('public_ref', sa.String(length=12), nullable=True))
        batch_op.create_index('ix_cases_published', ['published_at'], unique=False)
        batch_op.create_index('ix_cases_public_ref', ['public_ref'], unique=True)

    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_code', sa.String(length=10), nullable=True))
    _backfill_codes()
    # Nothing references case_ratings: SQLite may rebuild it to make the column NOT NULL.
    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.alter_column('tracking_code', existing_type=sa.String(length=10), nullable=False)
        batch_op.create_index(batch_op.f('ix_case_ratings_tracking_code'), ['tracking_code'], unique=False)


def downgrade():
    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_ratings_tracking_code'))
        batch_op.drop_column('tracking_code')

    op.drop_index('ix_cases_public_ref', table_name='cases')
    op.drop_index('ix_cases_published', table_name='cases')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a rebuild: see upgrade().
    for column in ('public_ref', 'show_officer', 'published_at'):
        op.drop_column('cases', column)
