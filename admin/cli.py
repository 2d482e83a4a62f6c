"""Operator commands of docs/protocol.md §3: ``flask --app admin <command>``.

Every refusal is one sentence on standard error, Vietnamese then English,
and a non-zero exit code: 2 for an argument that cannot be read, 1 for one
that names something missing or already taken. Standard output carries only
the result, so a script can pipe it (the kiosk token, the report).

The commands are plain click commands with an app context, registered on the
app by ``init_app``, so ``app.test_cli_runner()`` runs them as ``flask`` does.
"""
from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime
from typing import NoReturn

import click
import flask_migrate
from sqlalchemy import select
from alembic.runtime.migration import MigrationContext
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import LazyString, force_locale

from . import MIGRATIONS_DIR
from .alerts import ALERT_SETTINGS
from .alerts.worker import run_pass
from .audit import record
from .console import login_throttle
from .db import db, write_transaction
from .kiosks import register_kiosk
from .models import ROLES, Desk, Unit, User
from .reports.daily_counts import rebuild_daily_counts
from .periods import parse_period
from .reports.officer_table import officer_report, report_csv, report_json
from .reports.official import official_report
from .reports.official_pdf import report_pdf
from .reports.official_xlsx import report_xlsx
from .scale import KIOSK_SETTINGS, load_scale
from .settings import SettingGroup, SettingRefused
from .seed import SeedRefused, seed_demo
from .users import UserRefused, check_role, check_username, clean_email, create_user
from .watch_rules import WATCH_SETTINGS

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` on standard error and stop with exit ``code``."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(code)


def _schema_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu / Create or upgrade the database schema."""
    click.echo(f"Cơ sở dữ liệu / Database: {db.engine.url.render_as_string(hide_password=True)}")
    before = _schema_revision()
    if before is None and db.inspect(db.engine).has_table("ratings"):
        fail("Cơ sở dữ liệu đã có bảng nhưng không có phiên bản lược đồ (không do init-db tạo); "
             "không thay đổi gì. / The database has tables but no schema revision (init-db did not "
             "create it); nothing was changed. If its schema is current, record that with "
             "`flask --app admin db stamp head`, then run init-db again.")
    flask_migrate.upgrade(directory=MIGRATIONS_DIR)
    after = _schema_revision()
    if before == after:
        click.echo(f"Lược đồ đã ở phiên bản mới nhất ({after}), không thay đổi gì. "
                   f"/ The schema is already at the latest revision ({after}); nothing changed.")
    elif before is None:
        click.echo(f"Đã tạo lược đồ, phiên bản {after}. / Created the schema at revision {after}.")
    else:
        click.echo(f"Đã nâng cấp lược đồ từ {before} lên {after}. / Upgraded the schema from {before} to {after}.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Mật khẩu / Password",
            hide_input=True,
            confirmation_prompt="Nhập lại mật khẩu / Repeat the password",
        )
    return password


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin | manager | inspector | viewer")
@click.option("--unit", "unit_id", type=int, help="Đơn vị mà người dùng phụ trách / The unit the user works for.")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ một dòng đầu vào / Read the password from one line of standard input.")
@click.option("--email", help="Địa chỉ nhận cảnh báo / Where the user's alerts go (an inspector's new cases).")
def create_user_command(name: str, role: str, unit_id: int | None, password_stdin: bool, email: str | None) -> None:
    """Tạo người dùng bảng điều khiển / Create a console user."""
    try:
        # The rules that need no password first, so nobody types one for nothing.
        check_username(name.strip())
        check_role(role, unit_id)
        clean_email(email)
        password = _read_password(password_stdin)
        write_transaction()
        user = create_user(name, password, role, unit_id, actor="cli", email=email)
    except UserRefused as refused:
        fail(in_both_languages(refused.message))
    db.session.commit()
    click.echo(f"Đã tạo người dùng {user.username!r} ({role}). / Created user {user.username!r} ({role}).")


def in_both_languages(message: LazyString) -> str:
    """A console message as the commands print theirs: Vietnamese, then English."""
    with force_locale("vi"):
        vi = str(message)
    with force_locale("en"):
        en = str(message)
    return vi if vi == en else f"{vi} / {en}"


@click.command("register-kiosk")
@with_appcontext
@click.option("--desk", "desk_id", required=True, type=int, help="Mã quầy / The desk id.")
@click.option("--name", required=True, help="Tên thiết bị / The kiosk's name.")
def register_kiosk_command(desk_id: int, name: str) -> None:
    """Đăng ký thiết bị đánh giá và in mã truy cập một lần / Register a kiosk and print its token once."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        fail("Tên thiết bị phải có từ 1 đến 200 ký tự. / The kiosk name must be 1 to 200 characters long.")
    # The write lock first: on SQLite, a read followed by a write fails if the running
    # service (its alert worker, a kiosk) wrote in between.
    write_transaction()
    desk = db.session.get(Desk, desk_id)
    if desk is None:
        fail(f"Không có quầy {desk_id}. / There is no desk {desk_id}.")
    if not desk.active:
        fail(f"Quầy {desk_id} đã ngừng hoạt động. / Desk {desk_id} is no longer in use.")
    kiosk, token = register_kiosk(desk, name)
    record("register", "kiosk", kiosk.id, after={"name": name, "desk_id": desk.id}, actor="cli")
    db.session.commit()
    click.echo(
        f"Đã đăng ký thiết bị {name!r} (số {kiosk.id}) tại {desk.name}, {desk.unit.name}; "
        "mã truy cập ở dòng dưới chỉ hiện một lần, hãy lưu ngay. "
        f"/ Registered kiosk {name!r} (id {kiosk.id}) at {desk.name}, {desk.unit.name}; "
        "the token below is shown only once, store it now."
    )
    click.echo(token)


@click.command("seed-demo")
@with_appcontext
@click.option("--ratings", "n_ratings", type=click.IntRange(min=0), default=0, show_default=True,
              help="Số đánh giá mẫu trong 8 tuần qua / Demo ratings over the past 8 weeks.")
def seed_demo_command(n_ratings: int) -> None:
    """Tạo một tỉnh mẫu trên cơ sở dữ liệu trống / Make a demo province in an empty database."""
    try:
        summary = seed_demo(n_ratings)
    except SeedRefused as refused:
        fail(str(refused))
    click.echo(
        f"Đã tạo {summary.units} đơn vị, {summary.desks} quầy, {summary.officers} cán bộ, "
        f"{summary.kiosks} thiết bị mẫu và {summary.ratings} đánh giá. "
        f"/ Created {summary.units} units, {summary.desks} desks, {summary.officers} officers, "
        f"{summary.kiosks} demo kiosks and {summary.ratings} ratings."
    )


def _parse_day(value: str, option: str) -> date:
    try:
        if ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    fail(f"{option} {value!r} không phải ngày dạng YYYY-MM-DD. / {option} {value!r} is not a date like 2026-11-27.", 2)


@click.group("report", cls=AppGroup)
def report() -> None:
    """Báo cáo / Reports."""


@report.command("officers")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="Ngày đầu (tính cả ngày này) / First day, included.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Ngày cuối (tính cả ngày này) / Last day, included.")
@click.option("--unit", "unit_id", type=int, help="Chỉ đơn vị này và cấp dưới / Only this unit and the units below it.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def report_officers(start: str, end: str, unit_id: int | None, fmt: str) -> None:
    """Kết quả đánh giá từng cán bộ / Ratings per officer (docs/protocol.md §3)."""
    first, last = _parse_day(start, "--from"), _parse_day(end, "--to")
    if first > last:
        fail(f"--from {start} sau --to {end}. / --from {start} is after --to {end}.", 2)
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        fail(f"Không có đơn vị {unit_id}. / There is no unit {unit_id}.")
    scale = load_scale()
    rows = officer_report(first, last, unit_id)
    if fmt == "json":
        click.echo(json.dumps(report_json(rows, scale), ensure_ascii=False, indent=2))
    else:
        click.echo(report_csv(rows, scale), nl=False)


@click.command("official-report")
@with_appcontext
@click.option("--unit", "unit_id", type=int, help="Đơn vị lập báo cáo (gồm cấp dưới) / The unit reported on, with the units below it.")
@click.option("--province", is_flag=True, help="Báo cáo của tỉnh (đơn vị cấp cao nhất) / The province's report (the top unit).")
@click.option("--period", "period_key", required=True, metavar="2026-H1",
              help="Kỳ đánh giá: 2026-H1, 2026-Q3, 2026 hoặc YYYY-MM-DD..YYYY-MM-DD / The survey period.")
@click.option("--format", "fmt", required=True, type=click.Choice(["xlsx", "pdf"]))
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Tệp ghi ra / The file to write.")
@click.option("--date", "issued", metavar="YYYY-MM-DD", help="Ngày lập báo cáo (mặc định hôm nay) / The date on the report (today by default).")
@click.option("--with-integrity", is_flag=True,
              help="Gồm các lý do nhũng nhiễu, vòi vĩnh (chỉ cho thanh tra) / Include the misconduct reasons (for inspectors only).")
def official_report_command(unit_id: int | None, province: bool, period_key: str, fmt: str, output: str,
                            issued: str | None, with_integrity: bool) -> None:
    """Báo cáo kết quả đánh giá theo mẫu / The official satisfaction report, as XLSX or PDF."""
    if (unit_id is None) == (not province):
        fail("Cần đúng một trong --unit ID hoặc --province. / Give exactly one of --unit ID and --province.", 2)
    try:
        period = parse_period(period_key)
    except ValueError:
        fail(f"--period {period_key!r} không phải kỳ đánh giá (2026-H1, 2026-Q3, 2026, YYYY-MM-DD..YYYY-MM-DD). "
             f"/ --period {period_key!r} is not a survey period (2026-H1, 2026-Q3, 2026, YYYY-MM-DD..YYYY-MM-DD).", 2)
    issued_on = _parse_day(issued, "--date") if issued else datetime.now(current_app.config["TZ"]).date()
    if province:
        tops = db.session.scalars(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id)).all()
        if len(tops) != 1:
            fail(f"Có {len(tops)} đơn vị cấp cao nhất; hãy chọn một bằng --unit. "
                 f"/ There are {len(tops)} top units; name one with --unit.")
        unit_id = tops[0]
    if db.session.get(Unit, unit_id) is None:
        fail(f"Không có đơn vị {unit_id}. / There is no unit {unit_id}.")
    report = official_report(unit_id, period, issued_on, include_integrity=with_integrity)
    body = report_xlsx(report) if fmt == "xlsx" else report_pdf(report)
    with open(output, "wb") as out:
        out.write(body)
    click.echo(f"Đã ghi {output} ({len(body)} byte, {report.officer_count} cán bộ). "
               f"/ Wrote {output} ({len(body)} bytes, {report.officer_count} officers).")


def settings_command(name: str, group: SettingGroup, help_text: str) -> click.Command:
    """A command that shows the settings of ``group`` as JSON, or sets some with ``KEY=VALUE``, audited."""

    @click.command(name, help=help_text)
    @with_appcontext
    @click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
    def command(assignments: tuple[str, ...]) -> None:
        changes = {}
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            if not sep:
                fail(f"Cần dạng KEY=VALUE, không phải {assignment!r}. / Expected KEY=VALUE, not {assignment!r}.", 2)
            try:
                changes[key.strip()] = group.parse(key.strip(), raw)
            except SettingRefused as refused:
                fail(str(refused), 2)
        if changes:
            write_transaction()
            before, after = group.store(changes)
            record("update", "setting", group.key, before=before, after=after, actor="cli")
            db.session.commit()
        click.echo(json.dumps(group.load(), ensure_ascii=False, sort_keys=True))

    return command


kiosk_settings = settings_command(
    "kiosk-settings", KIOSK_SETTINGS,
    """Xem hoặc đặt thời gian và chế độ của thiết bị / Show or set the kiosks' timings and modes.

    For example ``cooldown_s=5 thanks_s=4 accept_without_officer=false``. Every kiosk
    receives the new values with its next config. Prints the settings as JSON.
    """,
)


alert_settings = settings_command(
    "alert-settings", ALERT_SETTINGS,
    """Xem hoặc đặt thời gian gửi cảnh báo / Show or set the alerts' timings and the case rules.

    For example ``poll_s=30 retry_s=30 retry_max_s=3600 case_join_h=72``. Every
    process of the service reads them at its next pass. Prints the settings as JSON.
    """,
)


watch_settings = settings_command(
    "watch-settings", WATCH_SETTINGS,
    """Xem hoặc đặt ngưỡng của các quy tắc giám sát / Show or set the thresholds of the watch rules.

    For example ``satisfaction_pct=70 last_n=30 silent_min=30 burst_count=10``
    (docs/protocol.md §3 lists them all). Prints the settings as JSON.
    """,
)


@click.command("send-alerts")
@with_appcontext
def send_alerts() -> None:
    """Gửi cảnh báo đang chờ / File waiting complaints into cases, run the watch rules, send the alerts due, once.

    Every ``python -m admin`` process does this by itself; the command is for
    an operator who wants it done now, or a service stopped for maintenance.
    """
    done = run_pass(current_app._get_current_object(), watch=True)
    click.echo(
        f"Đã xếp {done.filed} phản ánh vào hồ sơ, mở {done.watched} cảnh báo giám sát, gửi {done.sent} cảnh báo, "
        f"{done.failed} lần gửi lỗi. / Filed {done.filed} complaints into cases, opened {done.watched} watch alerts, "
        f"sent {done.sent} alerts, {done.failed} tries failed."
    )
    if done.failed:
        sys.exit(1)


@click.command("unlock-user")
@with_appcontext
@click.argument("name")
def unlock_user_command(name: str) -> None:
    """Mở lại đăng nhập cho một tài khoản / Lift every sign-in pause on an account and forget its failures."""
    user = db.session.execute(select(User).where(User.username == name.strip())).scalar_one_or_none()
    if user is None:
        fail(f"Không có tài khoản {name!r}. / There is no account {name!r}.")
    cleared = login_throttle.unlock(user.id, user.username, actor="cli")
    db.session.commit()
    if cleared:
        click.echo(f"Đã mở lại đăng nhập cho {user.username} (xoá {cleared} bộ đếm). "
                   f"/ Sign-in unlocked for {user.username} ({cleared} counters cleared).")
    else:
        click.echo(f"{user.username} không có lần đăng nhập sai nào để xoá; không thay đổi gì. "
                   f"/ {user.username} had no failed sign-ins to clear; nothing changed.")


@click.command("rebuild-counts")
@with_appcontext
def rebuild_counts() -> None:
    """Đếm lại số liệu theo ngày từ các đánh giá / Recount the daily counts from the ratings."""
    counted = rebuild_daily_counts()
    click.echo(f"Đã đếm lại {counted} đánh giá. / Recounted {counted} ratings into the daily counts.")


def init_app(app: Flask) -> None:
    """Register the operator commands on ``app``."""
    for command in (
        init_db, create_user_command, register_kiosk_command, seed_demo_command, report, kiosk_settings,
        alert_settings, watch_settings, send_alerts, rebuild_counts, official_report_command, unlock_user_command,
    ):
        app.cli.add_command(command)
