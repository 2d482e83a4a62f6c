"""Alerts: telling inspectors of new misconduct cases, by e-mail and by a signed webhook.

The alert that a case was opened or grew is queued as ``Delivery`` rows in
the transaction that files the complaint (``cases.file_complaints``), one
per inspector's address and one for the province's webhook. The worker of
every central process (``worker``) files waiting complaints and sends what
is due, retrying with backoff (``deliveries``); ``mail`` and ``webhook``
are the two channels, ``messages`` what they say.
"""
from __future__ import annotations

from ..settings import SettingGroup

# Timings of the alert worker and the case rules (``flask --app admin alert-settings``).
ALERT_SETTINGS = SettingGroup(
    "alerts",
    defaults={
        # How often each process looks for complaints filed by the others and
        # for deliveries due; a process wakes at once for the ratings it stores itself.
        "poll_s": 30,
        # The first retry of a failed delivery, doubling up to ``retry_max_s``.
        "retry_s": 30,
        "retry_max_s": 3600,
        # A complaint about the same officer (the same desk when nobody was on
        # duty) within this many hours of an open case's complaints joins it.
        "case_join_h": 72,
    },
    rules={
        "poll_s": (int, 1, 300),
        "retry_s": (int, 1, 3600),
        "retry_max_s": (int, 1, 86400),
        "case_join_h": (int, 0, 720),
    },
)
