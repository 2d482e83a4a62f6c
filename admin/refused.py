"""A change that a rule refuses, naming the form field to correct.

Domain functions raise a subclass (``users.UserRefused``, ``cases.CaseRefused``,
``watch.AlertRefused``); the console shows the message beside the field
(``console.changes.saved``), the commands print it in both languages.
"""
from __future__ import annotations

from flask_babel import LazyString


class Refused(ValueError):
    """Refused as asked; ``field`` names what to change, ``message`` says why (translated when shown)."""

    def __init__(self, field: str, message: LazyString | str):
        super().__init__(str(message))
        self.field = field
        self.message = message
