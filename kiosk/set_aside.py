"""``python -m kiosk rejected`` and ``python -m kiosk requeue``: the ratings set aside, and the way back.

The uploader sets a rating (or a sign-in, a sign-out) aside when the
central service refused it, with the service's error; it is never deleted
and never sent again by itself. ``rejected`` lists them, one line each, tab
separated: kind, id, seq (``-`` for a duty event), code, message.
``requeue all`` or ``requeue ID...`` puts them back in the queue (all the
ids or none: one that is not set aside changes nothing and exits 1); a
running kiosk sends them within ``retry_max_s``. It works while the kiosk
runs: the outbox is SQLite and takes a second writer in turn.
"""
from __future__ import annotations

import sqlite3
import sys

from .config import KioskConfig
from .outbox import Outbox
from .outbox_rescue import OUTBOX_NAME, outbox_problem
from .status import EXIT_OUTBOX


def _open(config: KioskConfig) -> Outbox | None:
    """The kiosk's outbox, or None (said on standard error) when there is none or it is damaged."""
    path = config.data_dir / OUTBOX_NAME
    if not path.exists():
        print(f"Chưa có hộp thư {path} (ki-ốt chưa chạy lần nào). / There is no outbox {path} yet"
              " (the kiosk has not run).", file=sys.stderr)
        return None
    problem = outbox_problem(config.data_dir)
    if problem is not None:
        print(f"Hộp thư {path} bị hỏng ({problem}); khởi động lại ki-ốt để cất riêng tệp hỏng."
              f" / The outbox {path} is damaged ({problem}); restart the kiosk to set it aside.", file=sys.stderr)
        return None
    return Outbox(path)


def list_rejected(config: KioskConfig) -> int:
    """Print the set-aside ratings and duty events; the exit code."""
    try:
        outbox = _open(config)
        if outbox is None:
            return EXIT_OUTBOX
        try:
            ratings, duty = outbox.rejected_ratings(), outbox.rejected_duty_events()
        finally:
            outbox.close()
    except sqlite3.Error as err:
        return _failed(err)
    if not ratings and not duty:
        print("Không có mục nào bị gác lại. / Nothing is set aside.")
        return 0
    print("kind\tid\tseq\tcode\tmessage")
    for item in ratings:
        print(f"rating\t{item['id']}\t{item['seq']}\t{item['error']['code']}\t{_one_line(item['error']['message'])}")
    for item in duty:
        print(f"duty\t{item['id']}\t-\t{item['error']['code']}\t{_one_line(item['error']['message'])}")
    return 0


def requeue(config: KioskConfig, ids: list[str]) -> int:
    """Put ``ids`` (``["all"]``: every one) back in the queue; the exit code (1: an id not set aside)."""
    try:
        outbox = _open(config)
        if outbox is None:
            return EXIT_OUTBOX
        try:
            count = outbox.requeue(None if ids == ["all"] else ids)
        except KeyError as err:
            print(f"Không có mục nào bị gác lại với mã {err.args[0]}; không đưa lại mục nào."
                  f" / Nothing set aside has the id {err.args[0]}; nothing was queued again.", file=sys.stderr)
            return 1
        finally:
            outbox.close()
    except sqlite3.Error as err:
        return _failed(err)
    print(f"Đã đưa lại {count} mục vào hàng đợi gửi. / Queued {count} items again.")
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _failed(err: sqlite3.Error) -> int:
    print(f"Không đọc được hộp thư: {err}. / The outbox cannot be read: {err}.", file=sys.stderr)
    return EXIT_OUTBOX
