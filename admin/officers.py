"""Officers: the code that names each one, unique across the province, and saving under it.

Every save of an officer's code goes through ``saving_code``, so the rule
lives here once: a code another officer holds is refused with ``CodeTaken``,
whether it was taken long ago or by someone else's save a moment ago.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .db import db
from .models import Officer

CODE_TAKEN = _l("Another officer already has this code.")


class CodeTaken(ValueError):
    """Another officer holds the code; nothing was saved."""

    message = CODE_TAKEN


def code_taken(code: str, officer_id: int | None) -> bool:
    """Whether an officer other than ``officer_id`` (None: any officer) holds ``code``."""
    stmt = select(Officer.id).where(Officer.code == code)
    if officer_id is not None:
        stmt = stmt.where(Officer.id != officer_id)
    return db.session.execute(stmt).first() is not None


@contextmanager
def saving_code(code: str, officer_id: int | None) -> Iterator[None]:
    """Run a block that saves an officer with ``code`` (and commits), or raise ``CodeTaken``.

    The look-up answers the usual case with a clear error before anything is
    written; the unique index catches a code saved by someone else between
    the look-up and the commit, and everything the block did is rolled back.
    """
    if code_taken(code, officer_id):
        db.session.rollback()
        raise CodeTaken(code)
    try:
        yield
    except IntegrityError:
        db.session.rollback()
        raise CodeTaken(code) from None
