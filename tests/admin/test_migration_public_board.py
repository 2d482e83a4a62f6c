"""Migration 0006: existing complaints get their tracking code; cases start unpublished; it downgrades cleanly."""
from __future__ import annotations

import uuid

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from admin import MIGRATIONS_DIR
from admin.db import db
from admin.tracking import stored_code

RATINGS = [uuid.UUID("7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11"), uuid.UUID("01890a5d-ac96-774b-bcce-b302099a8057")]


def rows(sql: str) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(text(sql))]


def columns(table: str) -> set[str]:
    return {c["name"] for c in db.inspect(db.engine).get_columns(table)}


def test_migration_0006_backfills_tracking_codes_and_downgrades(empty_app):
    with empty_app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0005")
        sqlite = db.engine.dialect.name == "sqlite"
        statements = [
            "INSERT INTO units (id, name, kind, parent_id, path, active) VALUES (1, 'Tỉnh Bắc Giang', 'province', NULL, '/1/', true)",
            "INSERT INTO desks (id, unit_id, name, active) VALUES (1, 1, 'Quầy 1', true)",
            "INSERT INTO officers (id, code, name, title, unit_id, active) VALUES (1, 'BG-1', 'Nguyễn Văn An', '', 1, true)",
            "INSERT INTO kiosks (id, desk_id, name, token_hash, enabled, created_at) "
            "VALUES (1, 1, 'K1', 'abc', true, '2026-06-01 00:00:00')",
            "INSERT INTO cases (id, unit_id, desk_id, officer_id, status, opened_at, first_complaint_at, "
            "last_complaint_at, complaints, conclusion, findings, action, concluded_at) VALUES (1, 1, 1, 1, "
            "'concluded', '2026-06-02 02:00:00', '2026-06-02 01:00:00', '2026-06-02 01:00:00', 2, "
            "'substantiated', 'Có cơ sở.', 'review', '2026-06-10 02:00:00')",
        ]
        for n, value in enumerate(RATINGS, start=1):
            statements.append(
                "INSERT INTO ratings (id, uuid, kiosk_id, desk_id, unit_id, officer_id, score, source, seq, "
                f"created_at, received_at, clock_flag, day) VALUES ({n}, '{value.hex if sqlite else value}', "
                f"1, 1, 1, 1, 1, 'touch', {n}, '2026-06-02 01:00:00', '2026-06-02 01:00:05', false, '2026-06-02')"
            )
            statements.append(f"INSERT INTO case_ratings (rating_id, case_id) VALUES ({n}, 1)")
        for sql in statements:
            db.session.execute(text(sql))
        db.session.commit()

        upgrade(directory=MIGRATIONS_DIR, revision="0006")
        assert rows("SELECT rating_id, tracking_code FROM case_ratings ORDER BY rating_id") == [
            (1, "8ZFW6KRARH"), (2, "NK084SN02Q"),
        ]
        assert [stored_code(u) for u in RATINGS] == ["8ZFW6KRARH", "NK084SN02Q"]
        published, show_officer, ref = rows("SELECT published_at, show_officer, public_ref FROM cases")[0]
        assert (published, bool(show_officer), ref) == (None, False, None)
        indexes = {i["name"] for i in db.inspect(db.engine).get_indexes("case_ratings")}
        assert "ix_case_ratings_tracking_code" in indexes

        db.session.rollback()  # end the reads, whose locks would hold up PostgreSQL's ALTER TABLE
        downgrade(directory=MIGRATIONS_DIR, revision="0005")
        assert "tracking_code" not in columns("case_ratings")
        assert not {"published_at", "published_by_id", "show_officer", "public_ref"} & columns("cases")
        assert rows("SELECT count(*) FROM case_ratings") == [(2,)]

        db.session.rollback()
        upgrade(directory=MIGRATIONS_DIR)
        assert rows("SELECT tracking_code FROM case_ratings ORDER BY rating_id") == [("8ZFW6KRARH",), ("NK084SN02Q",)]
