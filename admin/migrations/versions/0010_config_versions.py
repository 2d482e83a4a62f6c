"""Config stamps: what a kiosk's config version is made of, drawn anew by every change to what configs hold.

The version is then read in the statement that looks up the kiosk's token,
instead of building the whole config on every heartbeat and config poll.
No rows: the first change to a scope writes its stamp, and a scope without
one reads as no stamp.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('config_stamps',
    sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_config_stamps'))
    )


def downgrade():
    op.drop_table('config_stamps')
