"""Groups of operator settings kept in the ``settings`` table: kiosk timings, alert timings.

Each group is one JSON row with a default for every key, so ``load`` always
returns a complete, valid value, and an operator sets a key with ``KEY=VALUE``
(``flask --app admin kiosk-settings``, ``alert-settings``), checked against
its rule before anything is stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .db import db
from .models import Setting

BOOL_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class SettingRefused(ValueError):
    """A setting that cannot be stored: the message is one sentence, vi then en."""


@dataclass(frozen=True)
class SettingGroup:
    """The settings stored under ``key``: their defaults and what each may hold.

    ``rules`` gives, for every key an operator may set, its type (``int`` or
    ``bool``) and, for numbers, the allowed range; a default without a rule
    (the kiosk's languages) is fixed.
    """

    key: str
    defaults: dict[str, Any]
    rules: dict[str, tuple[type, int, int]]

    def parse(self, name: str, raw: str) -> Any:
        """``raw`` (as typed by an operator) as the value of setting ``name``, or ``SettingRefused``."""
        if name not in self.rules:
            known = ", ".join(sorted(self.rules))
            raise SettingRefused(f"Không có thiết lập {name!r}. / There is no setting {name!r} (known: {known}).")
        kind, low, high = self.rules[name]
        if kind is bool:
            if raw.strip().lower() not in BOOL_WORDS:
                raise SettingRefused(f"{name} phải là true hoặc false. / {name} must be true or false.")
            return BOOL_WORDS[raw.strip().lower()]
        try:
            value = int(raw)
        except ValueError:
            raise SettingRefused(f"{name} phải là số nguyên. / {name} must be a whole number.") from None
        if not low <= value <= high:
            raise SettingRefused(f"{name} phải từ {low} đến {high}. / {name} must be from {low} to {high}.")
        return value

    def load(self) -> dict[str, Any]:
        """The defaults overlaid with what is stored."""
        row = db.session.get(Setting, self.key)
        return {**self.defaults, **(row.value if row else {})}

    def store(self, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Overlay ``changes`` (already parsed) on what is stored; returns (before, after). The caller commits."""
        before = self.load()
        row = db.session.get(Setting, self.key)
        stored = {**(row.value if row else {}), **changes}
        if row is None:
            db.session.add(Setting(key=self.key, value=stored))
        else:
            row.value = stored
        return before, {**self.defaults, **stored}
