"""What the alerts say: the e-mail to each inspector and the webhook's JSON, queued for delivery.

The e-mail is in Vietnamese, then English, and names no citizen: it says
which case, officer, desk and reasons, and where to handle it. Neither
carries the citizen's comment or ticket number, which stay in the console.
"""
from __future__ import annotations

import json

from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import select

from ..db import db
from ..models import Case, Desk, Officer, Rating, Reason, Unit, User
from . import deliveries


def case_url(case: Case) -> str | None:
    """The case's page in the console, when the service knows its public address (``ADMIN_PUBLIC_URL``)."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}/cases/{case.id}" if base else None


def queue_case_alerts(case: Case, rating: Rating, opened: bool, inspectors: list[User]) -> None:
    """Queue the alerts that ``rating`` opened ``case`` or joined it, in the caller's transaction.

    One e-mail to each of ``inspectors`` (those who may handle the case)
    with an address, when SMTP is set up; one call of the webhook, when one is.
    """
    event = f"case:{case.id}:rating:{rating.id}"
    codes = {link.reason_code for link in rating.reasons}
    reasons = list(db.session.scalars(select(Reason).where(Reason.code.in_(codes)).order_by(Reason.position)))
    facts = {
        "case": case,
        "opened": opened,
        "unit": db.session.get(Unit, case.unit_id),
        "desk": db.session.get(Desk, rating.desk_id),
        "officer": db.session.get(Officer, rating.officer_id) if rating.officer_id else None,
        "reasons": reasons,
        "at": rating.received_at if rating.clock_flag else rating.created_at,
        "url": case_url(case),
    }
    if current_app.config.get("SMTP_HOST"):
        subject, body = _email(facts)
        for inspector in inspectors:
            if inspector.email:
                deliveries.queue(event, "email", inspector.email, subject, body)
    if current_app.config.get("WEBHOOK_URL"):
        deliveries.queue(event, "webhook", current_app.config["WEBHOOK_URL"], event, _webhook_body(facts, rating))


SUBJECTS = {True: _l("New misconduct case #%(id)d"), False: _l("New complaint in misconduct case #%(id)d")}


def _email(facts: dict) -> tuple[str, str]:
    """Subject and text of the e-mail, each in Vietnamese then English."""
    subjects, texts = [], []
    for lang in ("vi", "en"):
        with force_locale(lang):
            subjects.append(str(SUBJECTS[facts["opened"]] % {"id": facts["case"].id}))
            # Rendered without the console's context processors: there is no request, nor anyone signed in.
            texts.append(current_app.jinja_env.get_template("alerts/case_email.txt").render(lang=lang, **facts).strip())
    return f"[Hài Lòng] {subjects[0]} / {subjects[1]}", "\n\n-- \n\n".join(texts) + "\n"


def _webhook_body(facts: dict, rating: Rating) -> str:
    """The webhook's JSON: the case and the complaint, with ids a province's system can keep."""
    case, officer = facts["case"], facts["officer"]
    document = {
        "event": "case.opened" if facts["opened"] else "case.complaint_added",
        "case": {
            "id": case.id,
            "status": case.status,
            "complaints": case.complaints,
            "unit": {"id": facts["unit"].id, "name": facts["unit"].name},
            "desk": {"id": facts["desk"].id, "name": facts["desk"].name},
            "officer": officer and {"id": officer.id, "code": officer.code, "name": officer.name},
            "url": facts["url"],
        },
        "complaint": {
            "id": str(rating.uuid),
            "score": rating.score,
            "source": rating.source,
            "reasons": [reason.code for reason in facts["reasons"]],
            "integrity_reasons": [reason.code for reason in facts["reasons"] if reason.integrity],
            "at": facts["at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "clock_flag": rating.clock_flag,
        },
    }
    return json.dumps(document, ensure_ascii=False)
