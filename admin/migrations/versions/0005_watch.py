"""Watch rules: the alerts they raise for managers, administrators and inspectors, and how far each has read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('watch_marks',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_watch_marks'))
    )
    op.create_table('watch_alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('desk_id', sa.Integer(), nullable=True),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('open_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('ack_note', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'manager', 'inspector')", name=op.f('ck_watch_alerts_role')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'closed')", name=op.f('ck_watch_alerts_status')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_watch_alerts_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_watch_alerts_closed_by_id_users')),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_watch_alerts_desk_id_desks')),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], name=op.f('fk_watch_alerts_kiosk_id_kiosks')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_watch_alerts_officer_id_officers')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_watch_alerts_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_alerts')),
    sa.UniqueConstraint('open_key', name=op.f('uq_watch_alerts_open_key'))
    )
    with op.batch_alter_table('watch_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_watch_alerts_key', ['key', 'closed_at'], unique=False)
        batch_op.create_index('ix_watch_alerts_role_status', ['role', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('watch_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_watch_alerts_role_status')
        batch_op.drop_index('ix_watch_alerts_key')

    op.drop_table('watch_alerts')
    op.drop_table('watch_marks')
