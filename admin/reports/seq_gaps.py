"""Ratings a kiosk numbered but the service never received: gaps in its ``seq``."""
from __future__ import annotations

from sqlalchemy import func, select

from ..db import db
from ..models import Rating


def seq_gaps(kiosk_id: int, limit: int = 100, last_seq: int | None = None) -> list[tuple[int, int]]:
    """Ranges of sequence numbers never received from a kiosk, as (first, last), lowest first.

    Numbers start at 1, so a first received number above 1 is a gap too;
    ``last_seq``, the highest number the kiosk reported in its heartbeat,
    shows the ratings missing after the last one received. A rating still
    waiting in the kiosk's outbox shows here until it arrives.
    """
    first, highest = db.session.execute(
        select(func.min(Rating.seq), func.max(Rating.seq)).where(Rating.kiosk_id == kiosk_id)
    ).one()
    if first is None:
        return [(1, last_seq)] if last_seq else []
    gaps = [(1, first - 1)] if first > 1 else []
    ordered = (
        select(Rating.seq.label("seq"), func.lead(Rating.seq).over(order_by=Rating.seq).label("next_seq"))
        .where(Rating.kiosk_id == kiosk_id)
        .subquery()
    )
    stmt = (
        select(ordered.c.seq + 1, ordered.c.next_seq - 1)
        .where(ordered.c.next_seq > ordered.c.seq + 1)
        .order_by(ordered.c.seq)
        .limit(limit)
    )
    gaps.extend((int(a), int(b)) for a, b in db.session.execute(stmt))
    if last_seq is not None and last_seq > highest:
        gaps.append((highest + 1, last_seq))
    return gaps[:limit]
