"""Initial schema: units, desks, officers, kiosks, duty, ratings, users, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# The reasons of docs/protocol.md §1, frozen here as this revision wrote them.

DEFAULT_REASONS = [
    ("slow", "Chậm trễ, kéo dài", "Slow, kept waiting", False),
    ("attitude", "Thái độ chưa đúng mực", "Impolite or careless", False),
    ("unclear", "Hướng dẫn không rõ ràng", "Unclear guidance", False),
    ("extra_papers", "Yêu cầu giấy tờ ngoài quy định", "Asked for papers the rules do not require", False),
    ("harassment", "Gây khó khăn, nhũng nhiễu", "Obstruction, harassment", True),
    ("bribe", "Vòi vĩnh, đòi tiền ngoài quy định", "Asked for an unofficial payment", True),
    ("other", "Lý do khác", "Other", False),
]


def upgrade():
    op.create_table('login_failures',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_failures'))
    )
    op.create_table('reasons',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label_vi', sa.String(length=200), nullable=False),
    sa.Column('label_en', sa.String(length=200), nullable=False),
    sa.Column('integrity', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_reasons'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_path'), ['path'], unique=False)

    op.create_table('desks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_desks_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desks'))
    )
    with op.batch_alter_table('desks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desks_unit_id'), ['unit_id'], unique=False)

    op.create_table('officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_officers_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officers')),
    sa.UniqueConstraint('code', name=op.f('uq_officers_code'))
    )
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officers_unit_id'), ['unit_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'manager', 'inspector', 'viewer')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_users_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=40), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('duty_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.CheckConstraint("origin IN ('scheduled', 'kiosk')", name=op.f('ck_duty_periods_origin')),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_duty_periods_desk_id_desks')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_duty_periods_officer_id_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_periods'))
    )
    with op.batch_alter_table('duty_periods', schema=None) as batch_op:
        batch_op.create_index('ix_duty_periods_desk_start', ['desk_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_periods_officer_id'), ['officer_id'], unique=False)

    op.create_table('kiosks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('last_heartbeat', sa.JSON(), nullable=True),
    sa.Column('clock_offset_s', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_kiosks_desk_id_desks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosks')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_kiosks_token_hash'))
    )
    with op.batch_alter_table('kiosks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosks_desk_id'), ['desk_id'], unique=False)

    op.create_table('officer_photos',
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_officer_photos_officer_id_officers')),
    sa.PrimaryKeyConstraint('officer_id', name=op.f('pk_officer_photos'))
    )
    op.create_table('duty_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], name=op.f('fk_duty_events_kiosk_id_kiosks')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_duty_events_officer_id_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_events')),
    sa.UniqueConstraint('uuid', name=op.f('uq_duty_events_uuid'))
    )
    with op.batch_alter_table('duty_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_events_kiosk_id'), ['kiosk_id'], unique=False)

    op.create_table('ratings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('ticket', sa.String(length=40), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('clock_flag', sa.Boolean(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.CheckConstraint("source IN ('touch', 'button')", name=op.f('ck_ratings_source')),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_ratings_desk_id_desks')),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], name=op.f('fk_ratings_kiosk_id_kiosks')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_ratings_officer_id_officers')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_ratings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('uuid', name=op.f('uq_ratings_uuid'))
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index('ix_ratings_day', ['day'], unique=False)
        batch_op.create_index('ix_ratings_kiosk_seq', ['kiosk_id', 'seq'], unique=False)
        batch_op.create_index('ix_ratings_officer_day', ['officer_id', 'day'], unique=False)
        batch_op.create_index('ix_ratings_unit_day', ['unit_id', 'day'], unique=False)

    op.create_table('rating_reasons',
    sa.Column('rating_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_rating_reasons_rating_id_ratings')),
    sa.ForeignKeyConstraint(['reason_code'], ['reasons.code'], name=op.f('fk_rating_reasons_reason_code_reasons')),
    sa.PrimaryKeyConstraint('rating_id', 'reason_code', name=op.f('pk_rating_reasons'))
    )
    with op.batch_alter_table('rating_reasons', schema=None) as batch_op:
        batch_op.create_index('ix_rating_reasons_code', ['reason_code', 'rating_id'], unique=False)

    reasons = sa.table(
        "reasons",
        sa.column("code", sa.String), sa.column("label_vi", sa.String), sa.column("label_en", sa.String),
        sa.column("integrity", sa.Boolean), sa.column("position", sa.Integer), sa.column("active", sa.Boolean),
    )
    op.bulk_insert(reasons, [
        {"code": c, "label_vi": vi, "label_en": en, "integrity": i, "position": n, "active": True}
        for n, (c, vi, en, i) in enumerate(DEFAULT_REASONS)
    ])



def downgrade():
    with op.batch_alter_table('rating_reasons', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_reasons_code')

    op.drop_table('rating_reasons')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_unit_day')
        batch_op.drop_index('ix_ratings_officer_day')
        batch_op.drop_index('ix_ratings_kiosk_seq')
        batch_op.drop_index('ix_ratings_day')

    op.drop_table('ratings')
    with op.batch_alter_table('duty_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_events_kiosk_id'))

    op.drop_table('duty_events')
    op.drop_table('officer_photos')
    with op.batch_alter_table('kiosks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosks_desk_id'))

    op.drop_table('kiosks')
    with op.batch_alter_table('duty_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_periods_officer_id'))
        batch_op.drop_index('ix_duty_periods_desk_start')

    op.drop_table('duty_periods')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('users')
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officers_unit_id'))

    op.drop_table('officers')
    with op.batch_alter_table('desks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desks_unit_id'))

    op.drop_table('desks')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_path'))

    op.drop_table('units')
    op.drop_table('settings')
    op.drop_table('reasons')
    op.drop_table('login_failures')
