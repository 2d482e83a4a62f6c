"""The rating scale, the reasons and the kiosk timings: central configuration.

Defaults are those of docs/protocol.md §1. They live in the ``settings`` and
``reasons`` tables so a deployment can change them; ``load_scale`` and
``KIOSK_SETTINGS.load`` always return a complete, valid value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from .db import db
from .models import Reason, Setting
from .settings import SettingGroup

DEFAULT_LEVELS: list[dict[str, Any]] = [
    {"score": 1, "label": {"vi": "Không hài lòng", "en": "Not satisfied"}},
    {"score": 2, "label": {"vi": "Hài lòng", "en": "Satisfied"}},
    {"score": 3, "label": {"vi": "Rất hài lòng", "en": "Very satisfied"}},
]

DEFAULT_REASONS: list[tuple[str, str, str, bool]] = [
    ("slow", "Chậm trễ, kéo dài", "Slow, kept waiting", False),
    ("attitude", "Thái độ chưa đúng mực", "Impolite or careless", False),
    ("unclear", "Hướng dẫn không rõ ràng", "Unclear guidance", False),
    ("extra_papers", "Yêu cầu giấy tờ ngoài quy định", "Asked for papers the rules do not require", False),
    ("harassment", "Gây khó khăn, nhũng nhiễu", "Obstruction, harassment", True),
    ("bribe", "Vòi vĩnh, đòi tiền ngoài quy định", "Asked for an unofficial payment", True),
    ("other", "Lý do khác", "Other", False),
]

# The kiosks' timings and modes (``flask --app admin kiosk-settings``), sent in every config.
KIOSK_SETTINGS = SettingGroup(
    "kiosk",
    defaults={
        "cooldown_s": 5,
        "thanks_s": 4,
        "reasons_timeout_s": 20,
        "heartbeat_s": 60,
        "languages": ["vi", "en"],
        # Off: with nobody on duty the kiosk shows its closed view and takes no ratings.
        "accept_without_officer": False,
        # On: every score is followed by the same question about what was not right, so
        # that what the screen shows next does not tell the desk which level was chosen.
        "reasons_after_every_score": True,
        # Long enough to write the tracking code down; the citizen may close it sooner.
        "tracking_s": 30,
    },
    rules={
        "cooldown_s": (int, 0, 600),
        "thanks_s": (int, 0, 60),
        "reasons_timeout_s": (int, 5, 600),
        "heartbeat_s": (int, 10, 3600),
        "accept_without_officer": (bool, 0, 1),
        "reasons_after_every_score": (bool, 0, 1),
        "tracking_s": (int, 5, 300),
    },
)


@dataclass(frozen=True)
class Scale:
    """A rating scale: scores ``1..len(levels)``, higher is better."""

    levels: list[dict[str, Any]]
    satisfied_from: int = 2
    ask_reasons_at_or_below: int = 1

    @property
    def max_score(self) -> int:
        return len(self.levels)

    @property
    def scores(self) -> range:
        return range(1, self.max_score + 1)

    def label(self, score: int, lang: str = "vi") -> str:
        """The label of ``score`` in ``lang``, falling back to Vietnamese."""
        labels = self.levels[score - 1]["label"]
        return labels.get(lang) or labels["vi"]

    def as_json(self) -> dict[str, Any]:
        return {
            "levels": self.levels,
            "satisfied_from": self.satisfied_from,
            "ask_reasons_at_or_below": self.ask_reasons_at_or_below,
        }


DEFAULT_SCALE = Scale(levels=DEFAULT_LEVELS)


def load_scale() -> Scale:
    """The scale in force: the ``scale`` setting, or the default three levels."""
    row = db.session.get(Setting, "scale")
    if row is None:
        return DEFAULT_SCALE
    value = row.value
    return Scale(
        levels=value["levels"],
        satisfied_from=value.get("satisfied_from", 2),
        ask_reasons_at_or_below=value.get("ask_reasons_at_or_below", 1),
    )


def load_reasons(active_only: bool = True) -> list[Reason]:
    """The reasons, in display order."""
    stmt = select(Reason).order_by(Reason.position, Reason.code)
    if active_only:
        stmt = stmt.where(Reason.active.is_(True))
    return list(db.session.scalars(stmt))


def ensure_default_reasons() -> None:
    """Insert the default reasons that are missing; never changes existing ones."""
    have = set(db.session.scalars(select(Reason.code)))
    for position, (code, vi, en, integrity) in enumerate(DEFAULT_REASONS):
        if code not in have:
            db.session.add(
                Reason(code=code, label_vi=vi, label_en=en, integrity=integrity, position=position)
            )

