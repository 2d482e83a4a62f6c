"""Misconduct cases and the alerts sent about them: cases, their complaints and notes,
the intake of complaints not yet filed, the queue of deliveries, and users' e-mail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event', sa.String(length=80), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("channel IN ('email', 'webhook')", name=op.f('ck_deliveries_channel')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('event', 'channel', 'recipient', name=op.f('uq_deliveries_event'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_due', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('first_complaint_at', sa.DateTime(), nullable=False),
    sa.Column('last_complaint_at', sa.DateTime(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('conclusion', sa.String(length=20), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.Column('concluded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("action IS NULL OR action IN ('none', 'reminder', 'review', 'transfer', 'replace')", name=op.f('ck_cases_action')),
    sa.CheckConstraint("conclusion IS NULL OR conclusion IN ('substantiated', 'not_substantiated', 'unverifiable')", name=op.f('ck_cases_conclusion')),
    sa.CheckConstraint("status IN ('new', 'verifying', 'concluded')", name=op.f('ck_cases_status')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users')),
    sa.ForeignKeyConstraint(['concluded_by_id'], ['users.id'], name=op.f('fk_cases_concluded_by_id_users')),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_cases_desk_id_desks')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_cases_officer_id_officers')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cases_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_desk_status', ['desk_id', 'status'], unique=False)
        batch_op.create_index('ix_cases_officer_status', ['officer_id', 'status'], unique=False)
        batch_op.create_index('ix_cases_unit_status', ['unit_id', 'status'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_notes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notes_case_id'), ['case_id'], unique=False)

    op.create_table('case_ratings',
    sa.Column('rating_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_ratings_case_id_cases')),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_case_ratings_rating_id_ratings')),
    sa.PrimaryKeyConstraint('rating_id', name=op.f('pk_case_ratings'))
    )
    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_ratings_case_id'), ['case_id'], unique=False)

    op.create_table('complaint_intake',
    sa.Column('rating_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_complaint_intake_rating_id_ratings')),
    sa.PrimaryKeyConstraint('rating_id', name=op.f('pk_complaint_intake'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')

    op.drop_table('complaint_intake')
    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_ratings_case_id'))

    op.drop_table('case_ratings')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_notes_case_id'))

    op.drop_table('case_notes')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_unit_status')
        batch_op.drop_index('ix_cases_officer_status')
        batch_op.drop_index('ix_cases_desk_status')

    op.drop_table('cases')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_due')

    op.drop_table('deliveries')
