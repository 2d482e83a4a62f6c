"""Operator commands (docs/protocol.md §3), good and bad arguments, as an operator sees them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, inspect, select
from werkzeug.security import check_password_hash

from admin.api.auth import authenticate
from admin.db import db
from admin.models import AuditEntry, DailyCount, Kiosk, Reason, Unit, User
from admin.reports.daily_counts import rebuild_monthly_counts
from ..ports_support import free_port

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 2)


def assert_clean_refusal(result, code: int, *phrases: str) -> None:
    """Refused with ``code``: a sentence on stderr, nothing on stdout, no traceback."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.stderr


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# --- init-db ----------------------------------------------------------------------


def test_init_db_creates_schema_then_is_safe_to_run_again(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert "Created the schema at revision" in first.stdout
    with empty_app.app_context():
        assert {"units", "ratings", "daily_counts", "users"} <= set(inspect(db.engine).get_table_names())
        assert count(Reason) == 7
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0, again.output
    assert "already at the latest revision" in again.stdout
    with empty_app.app_context():
        assert count(Reason) == 7


def test_init_db_refuses_tables_it_did_not_create(app, runner, world):
    # ``app`` was made with create_all(): tables, but no alembic_version.
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 1
    assert "no schema revision" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert "alembic_version" not in inspect(db.engine).get_table_names()
        assert count(Reason) == 7


# --- create-user ------------------------------------------------------------------


def test_create_user_from_stdin_stores_scrypt_hash_and_audits(app, runner, world):
    result = runner.invoke(
        args=["create-user", "quanly.maitrung", "--role", "manager", "--unit", str(world.commune_a_id),
              "--password-stdin"],
        input="mat-khau-dai-du\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created user 'quanly.maitrung' (manager)" in result.stdout
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "quanly.maitrung")).scalar_one()
        assert (user.role, user.unit_id) == ("manager", world.commune_a_id)
        assert user.password_hash.startswith("scrypt:")
        assert check_password_hash(user.password_hash, "mat-khau-dai-du")
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.entity == "user")).scalar_one()
        assert (entry.actor, entry.action, entry.entity_id) == ("cli", "create", str(user.id))
        assert "mat-khau" not in json.dumps(entry.after)


def test_create_user_from_prompt_asks_twice(app, runner):
    result = runner.invoke(args=["create-user", "admin", "--role", "admin"], input="mot-mat-khau-tot\nmot-mat-khau-tot\n")
    assert result.exit_code == 0, result.output
    assert "mot-mat-khau-tot" not in result.output
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        assert check_password_hash(user.password_hash, "mot-mat-khau-tot")
        assert user.unit_id is None


def test_create_user_prompt_mismatch_creates_nobody(app, runner):
    result = runner.invoke(args=["create-user", "admin", "--role", "admin"], input="mot-mat-khau-tot\nkhac-han-roi-nhe\n")
    assert result.exit_code == 1
    assert "do not match" in result.output
    with app.app_context():
        assert count(User) == 0


def test_create_user_short_password_refused(app, runner):
    result = runner.invoke(args=["create-user", "xem", "--role", "viewer", "--password-stdin"], input="ngan\n")
    assert_clean_refusal(result, 1, "Mật khẩu phải có từ 10 đến 200 ký tự. / A password has 10 to 200 characters.")
    with app.app_context():
        assert count(User) == 0


@pytest.mark.parametrize("role", ["manager", "inspector"])
def test_create_user_unit_role_without_unit_refused(app, runner, role):
    result = runner.invoke(args=["create-user", "x", "--role", role, "--password-stdin"], input="mat-khau-dai-du\n")
    assert_clean_refusal(result, 1, "A manager or an inspector needs a unit.")


def test_create_user_unknown_unit_refused(app, runner):
    result = runner.invoke(
        args=["create-user", "tt", "--role", "inspector", "--unit", "999", "--password-stdin"], input="mat-khau-dai-du\n")
    assert_clean_refusal(result, 1, "There is no unit 999")


def test_create_user_admin_with_unit_refused(app, runner, world):
    result = runner.invoke(
        args=["create-user", "qt", "--role", "admin", "--unit", str(world.province_id), "--password-stdin"],
        input="mat-khau-dai-du\n")
    assert_clean_refusal(result, 1, "An administrator sees every unit: choose no unit.")


def test_create_user_duplicate_name_refused(app, runner):
    args = ["create-user", "thanhtra", "--role", "viewer", "--password-stdin"]
    assert runner.invoke(args=args, input="mat-khau-dai-du\n").exit_code == 0
    result = runner.invoke(args=args, input="mat-khau-khac-nua\n")
    assert_clean_refusal(result, 1, "Tên đăng nhập này đã có người dùng. / This user name is taken.")
    with app.app_context():
        assert count(User) == 1


@pytest.mark.parametrize("name", ["người dùng", "has space", "x" * 81, "   "])
def test_create_user_name_rule_is_the_consoles(app, runner, name):
    result = runner.invoke(args=["create-user", name, "--role", "viewer", "--password-stdin"], input="mat-khau-dai-du\n")
    assert_clean_refusal(result, 1, "A user name has 1 to 80 characters." if len(name.strip()) in (0, 81)
                         else "Use letters without accents, digits, and . _ @ - only.")
    with app.app_context():
        assert count(User) == 0


def test_create_user_unknown_role_is_a_usage_error(app, runner):
    result = runner.invoke(args=["create-user", "x", "--role", "boss", "--password-stdin"], input="mat-khau-dai-du\n")
    assert result.exit_code == 2
    assert "'boss' is not one of" in result.stderr
    assert "Traceback" not in result.output


# --- register-kiosk -----------------------------------------------------------------


def test_register_kiosk_prints_token_alone_on_last_line(app, runner, world):
    result = runner.invoke(args=["register-kiosk", "--desk", str(world.desk_a_id), "--name", "Mai Trung — quầy 2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    token = lines[-1]
    assert len(lines) >= 2 and "shown only once" in lines[0]
    assert token.strip() == token and " " not in token
    with app.app_context():
        kiosk = db.session.get(Kiosk, authenticate(token).id)
        assert (kiosk.name, kiosk.desk_id) == ("Mai Trung — quầy 2", world.desk_a_id)
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.entity == "kiosk")).scalar_one()
        assert (entry.actor, entry.action, entry.entity_id) == ("cli", "register", str(kiosk.id))
        assert token not in json.dumps(entry.after) and kiosk.token_hash not in json.dumps(entry.after)


def test_register_kiosk_unknown_desk_refused(app, runner, world):
    result = runner.invoke(args=["register-kiosk", "--desk", "999", "--name", "x"])
    assert_clean_refusal(result, 1, "There is no desk 999")
    with app.app_context():
        assert count(Kiosk) == 2


def test_register_kiosk_desk_not_a_number_is_a_usage_error(app, runner):
    result = runner.invoke(args=["register-kiosk", "--desk", "một", "--name", "x"])
    assert result.exit_code == 2
    assert "is not a valid integer" in result.stderr
    assert result.stdout == ""


def test_register_kiosk_blank_name_refused(app, runner, world):
    result = runner.invoke(args=["register-kiosk", "--desk", str(world.desk_a_id), "--name", "  "])
    assert_clean_refusal(result, 1, "The kiosk name must be 1 to 200 characters")


# --- seed-demo --------------------------------------------------------------------


def test_seed_demo_creates_province_then_refuses_second_time(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Created 9 units, 9 desks, 15 officers, 0 demo kiosks and 0 ratings" in first.stdout
    second = runner.invoke(args=["seed-demo"])
    assert_clean_refusal(second, 1, "already has units")
    with app.app_context():
        assert count(Unit) == 9


def test_seed_demo_negative_ratings_is_a_usage_error(app, runner):
    result = runner.invoke(args=["seed-demo", "--ratings", "-5"])
    assert result.exit_code == 2
    assert "--ratings" in result.stderr
    with app.app_context():
        assert count(Unit) == 0


# --- report officers ----------------------------------------------------------------


@pytest.fixture
def rated(app, world):
    """Officer A: 3, 2, 1 on DAY; officer B: seven 1s and a 2 on DAY."""
    with app.app_context():
        db.session.add_all([
            DailyCount(day=DAY, officer_id=world.officer_a_id, desk_id=world.desk_a_id, score=s, count=1) for s in (1, 2, 3)
        ] + [
            DailyCount(day=DAY, officer_id=world.officer_b_id, desk_id=world.desk_b_id, score=1, count=7),
            DailyCount(day=DAY, officer_id=world.officer_b_id, desk_id=world.desk_b_id, score=2, count=1),
        ])
        db.session.commit()
        rebuild_monthly_counts()
    return world


def test_report_officers_csv(runner, rated):
    result = runner.invoke(args=["report", "officers", "--from", "2026-11-01", "--to", "2026-11-02"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "officer_id,officer_code,officer_name,unit_name,ratings,satisfied,satisfaction_pct,mean_score,"
        "score_1,score_2,score_3\n"
        f"{rated.officer_b_id},HT-001,Lê Văn Cường,UBND xã Hợp Thịnh,8,1,12.50,1.13,7,1,0\n"
        f"{rated.officer_a_id},MT-001,Nguyễn Văn An,UBND xã Mai Trung,3,2,66.67,2.00,1,1,1\n"
    )


def test_report_officers_json_for_a_unit(runner, rated):
    result = runner.invoke(args=["report", "officers", "--from", "2026-11-02", "--to", "2026-11-02",
                                 "--unit", str(rated.commune_a_id), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{
        "officer_id": rated.officer_a_id, "officer_code": "MT-001", "officer_name": "Nguyễn Văn An",
        "unit_name": "UBND xã Mai Trung", "ratings": 3, "satisfied": 2, "satisfaction_pct": 66.67,
        "mean_score": 2.0, "score_1": 1, "score_2": 1, "score_3": 1,
    }]


def test_report_officers_range_without_ratings_is_header_only(runner, rated):
    result = runner.invoke(args=["report", "officers", "--from", "2026-11-03", "--to", "2026-11-30"])
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("officer_id,")
    empty = runner.invoke(args=["report", "officers", "--from", "2026-11-03", "--to", "2026-11-30", "--format", "json"])
    assert json.loads(empty.stdout) == []


@pytest.mark.parametrize("start, end, phrase", [
    ("2026-13-01", "2026-12-31", "--from '2026-13-01' is not a date"),
    ("2026-11-01", "ngày mai", "--to 'ngày mai' is not a date"),
    ("2026-11-1", "2026-11-30", "--from '2026-11-1' is not a date"),
    ("2026-12-01", "2026-11-01", "--from 2026-12-01 is after --to 2026-11-01"),
])
def test_report_officers_bad_dates_refused(runner, rated, start, end, phrase):
    result = runner.invoke(args=["report", "officers", "--from", start, "--to", end])
    assert_clean_refusal(result, 2, phrase)
    assert len(result.stderr.strip().splitlines()) == 1


def test_report_officers_unknown_unit_refused(runner, rated):
    result = runner.invoke(args=["report", "officers", "--from", "2026-11-01", "--to", "2026-11-30", "--unit", "999"])
    assert_clean_refusal(result, 1, "There is no unit 999")


def test_report_officers_unknown_format_is_a_usage_error(runner, rated):
    result = runner.invoke(args=["report", "officers", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "xml"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "'xml' is not one of 'csv', 'json'" in result.stderr


def test_report_officers_missing_dates_is_a_usage_error(runner, rated):
    result = runner.invoke(args=["report", "officers", "--to", "2026-11-30"])
    assert result.exit_code == 2
    assert "Missing option '--from'" in result.stderr


# --- rebuild-counts ---------------------------------------------------------------------


def test_rebuild_counts_reports_how_many_ratings_were_counted(app, runner, rated):
    result = runner.invoke(args=["rebuild-counts"])
    assert result.exit_code == 0, result.output
    # No raw ratings stand behind the counts of ``rated``: the rebuild clears them.
    assert "Recounted 0 ratings" in result.stdout
    with app.app_context():
        assert count(DailyCount) == 0


# --- kiosk-settings ----------------------------------------------------------------------


def test_kiosk_settings_prints_defaults_without_arguments(app, runner):
    result = runner.invoke(args=["kiosk-settings"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["cooldown_s"] == 5 and shown["accept_without_officer"] is False


def test_kiosk_settings_sets_values_audits_and_reaches_kiosk_config(app, runner, world):
    result = runner.invoke(args=["kiosk-settings", "cooldown_s=0", "thanks_s=0", "accept_without_officer=true"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cooldown_s"] == 0
    config = app.test_client().get(
        "/api/v1/kiosk/config", headers={"Authorization": f"Bearer {world.token_a}"}
    ).get_json()
    assert config["settings"]["cooldown_s"] == 0
    assert config["settings"]["thanks_s"] == 0
    assert config["settings"]["accept_without_officer"] is True
    assert config["settings"]["heartbeat_s"] == 60
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "setting")).one()
        assert entry.before["cooldown_s"] == 5 and entry.after["cooldown_s"] == 0


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["cooldown_s"], "KEY=VALUE"),
        (["colour=red"], "There is no setting 'colour'"),
        (["cooldown_s=soon"], "must be a whole number"),
        (["cooldown_s=-1"], "must be from 0 to 600"),
        (["heartbeat_s=99999999999999999999"], "must be from 10 to 3600"),
        (["accept_without_officer=maybe"], "must be true or false"),
        (["thanks_s=2", "reasons_timeout_s=1"], "must be from 5 to 600"),
    ],
)
def test_kiosk_settings_bad_values_refused_and_nothing_stored(app, runner, args, phrase):
    result = runner.invoke(args=["kiosk-settings", *args])
    assert_clean_refusal(result, 2, phrase)
    with app.app_context():
        assert count(AuditEntry) == 0
    assert json.loads(runner.invoke(args=["kiosk-settings"]).stdout)["thanks_s"] == 4


# --- alert-settings and send-alerts ----------------------------------------------------


def test_alert_settings_set_and_show(app, runner):
    result = runner.invoke(args=["alert-settings", "poll_s=5", "case_join_h=24"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["poll_s"], shown["case_join_h"], shown["retry_s"]) == (5, 24, 30)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "setting")).one()
        assert (entry.entity_id, entry.before["poll_s"], entry.after["poll_s"]) == ("alerts", 30, 5)


@pytest.mark.parametrize("args, phrase", [
    (["poll_s=0"], "must be from 1 to 300"),
    (["retry_s=x"], "must be a whole number"),
    (["case_join_h=721"], "must be from 0 to 720"),
    (["cooldown_s=5"], "There is no setting 'cooldown_s'"),
])
def test_alert_settings_bad_values_refused_and_nothing_stored(app, runner, args, phrase):
    assert_clean_refusal(runner.invoke(args=["alert-settings", *args]), 2, phrase)
    with app.app_context():
        assert count(AuditEntry) == 0


def test_watch_settings_set_show_and_refuse(app, runner):
    result = runner.invoke(args=["watch-settings", "satisfaction_pct=80", "open_saturday=true"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["satisfaction_pct"], shown["open_saturday"], shown["last_n"]) == (80, True, 30)
    assert_clean_refusal(runner.invoke(args=["watch-settings", "last_n=2"]), 2, "must be from 5 to 1000")
    assert json.loads(runner.invoke(args=["watch-settings"]).stdout)["last_n"] == 30


def test_send_alerts_files_waiting_complaints(app, runner, world):
    from admin.models import Case

    from .console.console_support import add_ratings

    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    result = runner.invoke(args=["send-alerts"])
    assert result.exit_code == 0, result.output
    assert "Filed 1 complaints into cases, opened 0 watch alerts, sent 0 alerts, 0 tries failed." in result.stdout
    with app.app_context():
        assert count(Case) == 1


def test_send_alerts_exits_1_when_a_send_failed(app, runner, world):
    from .console.console_support import add_ratings

    app.config.update(WEBHOOK_URL="http://127.0.0.1:9/closed", WEBHOOK_SECRET="s" * 20)
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    result = runner.invoke(args=["send-alerts"])
    assert result.exit_code == 1
    assert "1 tries failed" in result.stdout


def test_create_user_with_an_alert_address(app, runner, world):
    result = runner.invoke(
        args=["create-user", "thanhtra", "--role", "inspector", "--unit", str(world.province_id),
              "--email", "tt@tinh.gov.vn", "--password-stdin"], input="mat-khau-dai-du\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(User.email)).one() == "tt@tinh.gov.vn"


def test_create_user_bad_alert_address_refused_before_the_password(app, runner, world):
    result = runner.invoke(
        args=["create-user", "thanhtra", "--role", "inspector", "--unit", str(world.province_id), "--email", "tt"])
    assert_clean_refusal(result, 1, "Enter an e-mail address")
    with app.app_context():
        assert count(User) == 0


# --- python -m admin --------------------------------------------------------------------


def test_python_m_admin_serves_and_prints_url(tmp_path):
    port = free_port()
    env = {**os.environ, "ADMIN_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "ADMIN_HOST": "127.0.0.1",
           "ADMIN_PORT": str(port), "ADMIN_THREADS": "2", "ADMIN_SECRET_KEY": "test"}
    proc = subprocess.Popen([sys.executable, "-m", "admin"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        first_line = proc.stdout.readline()
        assert first_line.strip() == f"Hài Lòng: http://127.0.0.1:{port}/"
        response = requests.get(f"http://127.0.0.1:{port}/api/v1/kiosk/config", timeout=10)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("name, value", [("ADMIN_THREADS", "nhiều"), ("ADMIN_THREADS", "0"), ("ADMIN_PORT", "http")])
def test_python_m_admin_bad_setting_refused(name, value):
    env = {**os.environ, name: value}
    result = subprocess.run([sys.executable, "-m", "admin"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert f"{name}={value!r} must be a whole number from 1 to" in result.stderr
    assert "Traceback" not in result.stderr
