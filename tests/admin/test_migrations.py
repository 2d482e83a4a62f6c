"""Schema migrations: a database holding data upgrades without losing any."""
from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from admin import MIGRATIONS_DIR
from admin.db import db


def rows(sql: str) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(text(sql))]


def test_migration_upgrade_keeps_data_and_fills_daily_counts(empty_app):
    with empty_app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0001")
        # Data as revision 0001 stored it, written with plain SQL as an old release would have.
        statements = [
            "INSERT INTO units (id, name, kind, parent_id, path, active) VALUES (1, 'Tỉnh Bắc Giang', 'province', NULL, '/1/', true)",
            "INSERT INTO desks (id, unit_id, name, active) VALUES (1, 1, 'Quầy 1', true)",
            "INSERT INTO officers (id, code, name, title, unit_id, active) VALUES (1, 'BG-1', 'Nguyễn Văn An', '', 1, true)",
            "INSERT INTO kiosks (id, desk_id, name, token_hash, enabled, created_at) "
            "VALUES (1, 1, 'K1', 'abc', true, '2026-06-01 00:00:00')",
        ]
        ratings = [(1, 3, 1, "2026-06-02"), (2, 1, 1, "2026-06-02"), (3, 1, None, "2026-06-02"), (4, 2, 1, "2026-06-03")]
        for seq, score, officer, day in ratings:
            statements.append(
                "INSERT INTO ratings (id, uuid, kiosk_id, desk_id, unit_id, officer_id, score, source, seq, "
                "created_at, received_at, clock_flag, day) VALUES "
                f"({seq}, '{uuid.uuid4().hex if db.engine.dialect.name == 'sqlite' else uuid.uuid4()}', 1, 1, 1, "
                f"{'NULL' if officer is None else officer}, {score}, 'touch', {seq}, "
                f"'{day} 01:00:00', '{day} 01:00:05', false, '{day}')"
            )
        statements.append("INSERT INTO rating_reasons (rating_id, reason_code) VALUES (2, 'slow')")
        statements.append("INSERT INTO rating_reasons (rating_id, reason_code) VALUES (2, 'bribe')")
        for sql in statements:
            db.session.execute(text(sql))
        db.session.commit()

        upgrade(directory=MIGRATIONS_DIR)

        assert rows("SELECT count(*) FROM ratings") == [(4,)]
        assert rows("SELECT name FROM officers") == [("Nguyễn Văn An",)]
        assert rows(
            "SELECT CAST(day AS VARCHAR(10)), officer_id, score, count FROM daily_counts ORDER BY day, officer_id, score"
        ) == [("2026-06-02", 0, 1, 1), ("2026-06-02", 1, 1, 1), ("2026-06-02", 1, 3, 1), ("2026-06-03", 1, 2, 1)]
        # Revision 0007 summed them by month.
        assert rows(
            "SELECT CAST(day AS VARCHAR(10)), officer_id, score, count FROM monthly_counts ORDER BY day, officer_id, score"
        ) == [("2026-06-01", 0, 1, 1), ("2026-06-01", 1, 1, 1), ("2026-06-01", 1, 2, 1), ("2026-06-01", 1, 3, 1)]
        assert rows("SELECT reason_code, count FROM daily_reason_counts ORDER BY reason_code") == [
            ("bribe", 1),
            ("slow", 1),
        ]
        assert rows("SELECT count(*) FROM reasons") == [(7,)]


def test_migration_head_matches_the_models(empty_app):
    with empty_app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []


def test_migration_downgrade_and_upgrade_again(empty_app):
    with empty_app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        downgrade(directory=MIGRATIONS_DIR, revision="0001")
        assert "daily_counts" not in db.inspect(db.engine).get_table_names()
        upgrade(directory=MIGRATIONS_DIR)
        assert "daily_counts" in db.inspect(db.engine).get_table_names()
