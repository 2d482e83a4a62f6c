"""What each role may see and do across the console: unit scope, integrity reasons, read-only roles."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from admin.db import db
from admin.models import AuditEntry, DutyPeriod

from .console_support import add_ratings, csrf_token, signed_in, submit, text

# Every way an integrity reason could show, in both languages and as a code.
INTEGRITY_WORDS = (
    "Vòi vĩnh",
    "vòi vĩnh",
    "nhũng nhiễu",
    "Gây khó khăn",
    "unofficial payment",
    "harassment",
    "Harassment",
    "bribe",
)


@pytest.fixture
def complaints(app, world):
    """Low ratings for officers A and B, some naming bribe-seeking or harassment."""
    add_ratings(
        app,
        world.kiosk_a_id,
        [(1, world.officer_a_id, ["bribe", "slow"]), (1, world.officer_a_id, ["harassment"]), (3, world.officer_a_id, [])],
    )
    add_ratings(app, world.kiosk_b_id, [(1, world.officer_b_id, ["bribe"])])
    return world


def manager_pages(world) -> list[str]:
    today = date.today().isoformat()
    period = f"start={today[:8]}01&end={today}"
    return [
        "/",
        f"/?{period}",
        "/ranking",
        f"/ranking?{period}&min_ratings=1",
        "/officers",
        f"/officers/{world.officer_a_id}/scorecard",
        f"/officers/{world.officer_a_id}/scorecard?{period}",
        f"/officers/{world.officer_a_id}/edit",
        "/desks",
        "/kiosks",
        f"/kiosks/{world.kiosk_a_id}",
        "/units",
    ]


@pytest.mark.parametrize("role", ["manager", "viewer"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_manager_never_sees_integrity_reasons(app, complaints, lang, role):
    client = signed_in(app, role, complaints.commune_a_id)
    if lang == "en":
        submit(client, "/", "/language", {"lang": "en", "next": "/"})
    for url in manager_pages(complaints):
        if role == "viewer" and url.endswith("/edit"):
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        # The raw HTML too: a code in an attribute or a hidden field would leak as well.
        for page in (text(response), response.get_data(as_text=True)):
            for word in INTEGRITY_WORDS:
                assert word not in page, f"{word!r} shown on {url}"
    export = client.get("/report.csv").get_data(as_text=True)
    assert "MT-001" in export
    for word in INTEGRITY_WORDS:
        assert word not in export


def test_manager_scorecard_shows_ordinary_reasons_only(app, complaints):
    client = signed_in(app, "manager", complaints.commune_a_id)
    page = text(client.get(f"/officers/{complaints.officer_a_id}/scorecard"))
    assert "Chậm trễ, kéo dài" in page
    assert "Vòi vĩnh" not in page


def test_inspector_scorecard_shows_integrity_reasons(app, complaints):
    client = signed_in(app, "inspector", complaints.district_id)
    page = text(client.get(f"/officers/{complaints.officer_a_id}/scorecard"))
    assert "Vòi vĩnh, đòi tiền ngoài quy định" in page
    assert "Gây khó khăn, nhũng nhiễu" in page


@pytest.mark.parametrize(
    "url",
    [
        "/officers/{officer_b_id}/scorecard",
        "/officers/{officer_b_id}/edit",
        "/officers/{officer_b_id}/photo",
        "/kiosks/{kiosk_b_id}",
        "/desks/{desk_b_id}/edit",
        "/units/{commune_b_id}/edit",
        "/units/{district_id}/edit",
        "/ranking?unit={commune_b_id}",
        "/report.csv?unit={commune_b_id}",
    ],
)
def test_manager_of_commune_a_gets_404_for_commune_b(app, world, url):
    client = signed_in(app, "manager", world.commune_a_id)
    response = client.get(url.format(**vars(world)))
    assert response.status_code == 404
    assert "không tồn tại" in text(response)


def test_manager_cannot_change_commune_b(app, world):
    client = signed_in(app, "manager", world.commune_a_id)
    token = csrf_token(client.get("/").get_data(as_text=True))
    for url in (f"/kiosks/{world.kiosk_b_id}/revoke", f"/kiosks/{world.kiosk_b_id}/rotate",
                f"/officers/{world.officer_b_id}/pin"):
        assert client.post(url, data={"csrf_token": token, "pin": "1234", "confirm": "1234"}).status_code == 404
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0


def test_manager_lists_only_their_tree(app, world):
    client = signed_in(app, "manager", world.commune_a_id)
    officers = text(client.get("/officers"))
    assert "Nguyễn Văn An" in officers and "Trần Thị Bình" in officers
    assert "Lê Văn Cường" not in officers
    kiosks = text(client.get("/kiosks"))
    assert "Mai Trung — quầy 1" in kiosks and "Hợp Thịnh — quầy 1" not in kiosks
    units = text(client.get("/units"))
    assert "UBND xã Mai Trung" in units and "UBND xã Hợp Thịnh" not in units


def test_manager_and_viewer_have_no_complaints_page(app, world):
    for role, unit in (("manager", world.commune_a_id), ("viewer", None)):
        client = signed_in(app, role, unit)
        assert client.get("/complaints").status_code == 403
        assert "Phản ánh tiêu cực" not in text(client.get("/"))


def post_urls(app, world, except_endpoints: frozenset[str] = frozenset()) -> list[str]:
    """Every console address that accepts a POST, filled in with the world's ids (a case and an alert in commune A)."""
    from datetime import timedelta

    from admin.cases import file_complaints
    from admin.models import Case
    from admin.watch import raise_alert

    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    with app.app_context():
        file_complaints()
        alert_id = raise_alert("clock_off", "clock", world.commune_a_id, {"offset_s": 900}, timedelta(0),
                               kiosk_id=world.kiosk_a_id).id
        db.session.commit()
        period_id = db.session.scalar(select(DutyPeriod.id).where(DutyPeriod.desk_id == world.desk_a_id))
        case_id = db.session.scalar(select(Case.id))
    ids = {
        "alert_id": alert_id,
        "case_id": case_id,
        "period_id": period_id,
        "unit_id": world.commune_a_id,
        "desk_id": world.desk_a_id,
        "officer_id": world.officer_a_id,
        "kiosk_id": world.kiosk_a_id,
        "user_id": 1,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and "POST" in rule.methods and rule.endpoint not in except_endpoints:
            # <int:name> or <int(max=…):name>, each by its name's id.
            url = re.sub(r"<int(?:\([^)]*\))?:(\w+)>", lambda part: str(ids[part.group(1)]), rule.rule)
            assert "<" not in url, url
            urls.append(url)
    return urls


@pytest.mark.parametrize("role", ["viewer", "inspector"])
def test_read_only_roles_get_403_on_every_post(app, world, role):
    """A viewer changes nothing; an inspector changes cases only (tests/admin/console/test_console_cases.py)."""
    from admin.console import INSPECTOR_POSTS

    client = signed_in(app, role, world.commune_a_id if role == "inspector" else None)
    token = csrf_token(client.get("/").get_data(as_text=True))
    urls = post_urls(app, world, frozenset(INSPECTOR_POSTS) if role == "inspector" else frozenset())
    assert len(urls) >= 12
    for url in urls:
        response = client.post(url, data={"csrf_token": token, "name": "X", "pin": "1234", "confirm": "1234"})
        assert response.status_code == 403, url
        assert "không được phép" in text(response)
    with app.app_context():
        # Only the openings of the case and the alert, by the service itself.
        assert db.session.scalars(select(AuditEntry.action)).all() == ["open", "open"]


@pytest.mark.parametrize("url", ["/units/new", "/desks/new", "/officers/new", "/kiosks/new", "/users", "/audit"])
def test_viewer_gets_403_on_forms_and_admin_pages(app, url):
    client = signed_in(app, "viewer")
    assert client.get(url).status_code == 403


def test_viewer_without_unit_reads_everything_but_changes_nothing(app, world):
    client = signed_in(app, "viewer")
    officers = client.get("/officers")
    assert "Lê Văn Cường" in text(officers) and "Nguyễn Văn An" in text(officers)
    assert "Thêm công chức" not in text(officers)
    assert "Sửa" not in text(officers)


def test_manager_has_no_admin_pages(app, world):
    client = signed_in(app, "manager", world.commune_a_id)
    for url in ("/users", "/users/new", "/audit"):
        assert client.get(url).status_code == 403
