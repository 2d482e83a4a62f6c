"""What the alerts say: about a case, the e-mail to each inspector and the webhook's JSON, queued for
delivery; about a watch alert, its title, its sentence and its e-mail.

The e-mail is in Vietnamese, then English, and names no citizen: it says
which case, officer, desk and reasons, and where to handle it. Neither
carries the citizen's comment or ticket number, which stay in the console.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_decimal, lazy_gettext as _l
from sqlalchemy import select

from ..db import db, iso_utc
from ..i18n import local_date, local_datetime
from ..models import Case, Desk, Kiosk, Officer, Rating, Reason, Unit, User, WatchAlert
from . import deliveries


def console_url(path: str) -> str | None:
    """A console page's address for a message, when the service knows its public one (``ADMIN_PUBLIC_URL``)."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}{path}" if base else None


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
        "at": rating.made_at,
        "url": console_url(f"/cases/{case.id}"),
    }
    if current_app.config.get("SMTP_HOST"):
        subject, body = bilingual_email(
            lambda: str(SUBJECTS[opened] % {"id": case.id}), "alerts/case_email.txt", **facts
        )
        for inspector in inspectors:
            if inspector.email:
                deliveries.queue(event, "email", inspector.email, subject, body)
    if current_app.config.get("WEBHOOK_URL"):
        deliveries.queue(event, "webhook", current_app.config["WEBHOOK_URL"], event, _webhook_body(facts, rating))


RULE_TITLES = {
    "low_satisfaction": _l("Satisfaction confidently below the threshold"),
    "kiosk_silent": _l("Kiosk silent in opening hours"),
    "seq_gap": _l("Ratings missing from a kiosk"),
    "seq_reuse": _l("A kiosk numbered two ratings alike"),
    "rating_burst": _l("A burst of ratings at one kiosk"),
    "clock_off": _l("Kiosk clock far off"),
    "desk_closed": _l("Desk closed for much of the opening hours"),
    "sign_out_after_low": _l("Officer signed out right after low ratings"),
    "officer_not_on_duty": _l("A kiosk named an officer who was not on duty at its desk"),
}


# One sentence per rule, from the figures the rule kept in ``details`` (times are UTC ISO text).
DESCRIPTIONS = {
    "low_satisfaction": _l("%(rate_pct)s%% satisfied over the last %(ratings)d ratings (since %(since)s): with 95%% "
                           "confidence at most %(upper_bound_pct)s%%, below the threshold of %(threshold_pct)d%%."),
    "kiosk_silent": _l("Not heard from for %(silent_min)d minutes (last seen: %(last_seen)s)."),
    "seq_gap": _l("%(missing)d ratings the kiosk numbered never arrived (numbers %(gaps)s), and the kiosk has "
                  "nothing left to send; %(rejected_on_kiosk)s were set aside as rejected on the kiosk."),
    "seq_reuse": _l("%(reused)d ratings from this kiosk carry numbers it had used before (from %(seq)d to "
                    "%(last_seq)d): it lost its outbox, or it was copied."),
    "rating_burst": _l("%(ratings)d ratings within %(within_s)d seconds, from %(from)s."),
    "clock_off": _l("The kiosk's clock is %(offset_s)d seconds off."),
    "desk_closed": _l("On %(day)s nobody was on duty for %(closed_pct)s%% of the %(open_hours)s opening hours."),
    "sign_out_after_low": _l("Signed out at %(signed_out)s, %(low_ratings)d low ratings in the %(within_min)d "
                             "minutes before."),
    "officer_not_on_duty": _l("%(ratings)d ratings from %(first)s to %(last)s named officer %(officer_id)d, who was "
                              "not on duty at this kiosk's desk: they were kept for nobody on duty, and any complaint "
                              "among them went to the inspectors of the desk. The kiosk has a fault or its token is "
                              "misused."),
}
TIME_FIELDS = ("since", "last_seen", "from", "signed_out", "day", "first", "last")


def describe(alert: WatchAlert) -> str:
    """What the rule found, in one sentence in the current language, with local times."""
    values = dict(alert.details)
    for name in TIME_FIELDS:
        raw = values.get(name)
        if isinstance(raw, str):
            values[name] = local_date(date.fromisoformat(raw)) if len(raw) == 10 else local_datetime(
                datetime.fromisoformat(raw.replace("Z", "+00:00"))
            )
        elif name in values and raw is None:
            values[name] = "—"
    for name, value in values.items():
        if isinstance(value, float):
            values[name] = format_decimal(value, format="#,##0.0")
    if "gaps" in values:
        values["gaps"] = ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in values["gaps"])
    try:
        return str(DESCRIPTIONS[alert.rule] % values)
    except (KeyError, TypeError, ValueError):
        return str(alert.details)


def watch_email(alert: WatchAlert) -> tuple[str, str]:
    """Subject and text of the e-mail about a watch alert, each in Vietnamese then English."""
    return bilingual_email(
        lambda: str(RULE_TITLES[alert.rule]), "alerts/watch_email.txt",
        alert=alert, title=lambda: str(RULE_TITLES[alert.rule]), describe=describe,
        unit=db.session.get(Unit, alert.unit_id),
        officer=db.session.get(Officer, alert.officer_id) if alert.officer_id else None,
        desk=db.session.get(Desk, alert.desk_id) if alert.desk_id else None,
        kiosk=db.session.get(Kiosk, alert.kiosk_id) if alert.kiosk_id else None,
        url=console_url(f"/alerts/{alert.id}"),
    )


def bilingual_email(subject: Callable[[], str], template: str, **facts: Any) -> tuple[str, str]:
    """``subject()`` and ``template`` rendered in Vietnamese, then in English: one e-mail for every reader.

    Rendered without the console's context processors: there is no request, nor anyone signed in.
    """
    subjects, texts = [], []
    for lang in ("vi", "en"):
        with force_locale(lang):
            subjects.append(subject())
            texts.append(current_app.jinja_env.get_template(template).render(lang=lang, **facts).strip())
    return f"[Hài Lòng] {subjects[0]} / {subjects[1]}", "\n\n-- \n\n".join(texts) + "\n"


SUBJECTS = {True: _l("New misconduct case #%(id)d"), False: _l("New complaint in misconduct case #%(id)d")}


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
            "at": iso_utc(facts["at"]),
            "clock_flag": rating.clock_flag,
        },
    }
    return json.dumps(document, ensure_ascii=False)
