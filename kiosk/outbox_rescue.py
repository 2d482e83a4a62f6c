"""Opening the outbox at start: a damaged one is set aside, never deleted, and a new one begun.

A power cut during a write on a cheap SD card, or a card that is wearing
out, can leave ``outbox.db`` unreadable: its header gone ("file is not a
database"), the file cut short or a page garbled ("database disk image is
malformed", or ``PRAGMA quick_check`` finding faults). The kiosk must still
take ratings, so ``open_outbox`` renames such a file (and its ``-wal`` and
``-shm``) to ``outbox.db.damaged-<UTC time>`` beside it, where a technician
may still recover ratings from it (``sqlite3 … .recover``), logs it loudly,
and starts a new outbox. The new one goes on numbering past every ``seq``
the old one may have used: the numbers reserved in ``seq-reserved``
(``outbox.py``), or the last one still readable in the damaged file,
whichever is higher, so the central service sees a gap (ratings that may be
lost) and never one number used twice. An outbox that has vanished (deleted,
or emptied) while numbers were reserved is handled the same way. Either is
recorded in the new outbox's meta (``outbox_replaced``) for ``status`` and
the heartbeat.

``python -m kiosk status`` never moves anything: it says the outbox is damaged
(``outbox_problem``) and the kiosk sets it aside when it next starts.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .outbox import SEQ_BLOCK, Outbox, reserved_seq

log = logging.getLogger(__name__)

OUTBOX_NAME = "outbox.db"
DAMAGED_MARK = ".damaged-"
# What SQLite says of a file that is not a sound database; anything else (a locked file, no
# permission, a read-only disk) is not the file's fault, and the file is left where it is.
DAMAGE_ERRORS = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def is_damage(err: sqlite3.Error) -> bool:
    """Whether ``err`` says the database file itself is damaged."""
    name = getattr(err, "sqlite_errorname", "") or ""
    return name.startswith(DAMAGE_ERRORS)


def outbox_problem(data_dir: Path) -> str | None:
    """What is wrong with the outbox in ``data_dir`` (damaged: cannot be opened, or fails
    ``PRAGMA quick_check``), or None when it is sound or absent. Changes nothing."""
    path = data_dir / OUTBOX_NAME
    if not path.exists():
        return None
    try:
        # Read-write as the kiosk opens it (a read-only connection to a WAL database wants its -shm).
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as err:
        return f"{type(err).__name__}: {err}"
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.Error as err:
        return f"{type(err).__name__}: {err}"
    finally:
        conn.close()
    return None if found == ["ok"] else "; ".join(found[:3])


def damaged_files(data_dir: Path) -> list[Path]:
    """The damaged outboxes set aside in ``data_dir`` (their ``-wal`` and ``-shm`` not listed), oldest first."""
    return sorted(p for p in data_dir.glob(f"{OUTBOX_NAME}{DAMAGED_MARK}*") if not p.name.endswith(("-wal", "-shm")))


def readable_last_seq(path: Path) -> int | None:
    """The highest seq a damaged outbox still shows (its meta, its ratings), or None when nothing reads."""
    found: list[int] = []
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        for sql in ("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_seq'", "SELECT max(seq) FROM ratings"):
            try:
                row = conn.execute(sql).fetchone()
            except sqlite3.Error:
                continue
            if row is not None and isinstance(row[0], int):
                found.append(row[0])
    finally:
        conn.close()
    return max(found) if found else None


def move_aside(path: Path, at: float) -> Path:
    """Rename ``path`` and its ``-wal`` and ``-shm`` to ``<name>.damaged-<UTC time>``; the new path."""
    stamp = datetime.fromtimestamp(at, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}-{n}")
    # The journal goes with its database: committed ratings may be in it only.
    for suffix in ("-wal", "-shm", ""):
        source = path.with_name(path.name + suffix)
        if source.exists():
            os.rename(source, target.with_name(target.name + suffix))
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_outbox(data_dir: Path, clock: Callable[[], float] = time.time) -> Outbox:
    """The outbox in ``data_dir`` for the kiosk to run on: the one there when it is sound, else a new one
    (see the module docstring). Ratings set aside by mistake go back into the queue (``requeue_mistaken``).

    ``sqlite3.Error`` or ``OSError`` for what a new file would not cure (no permission, a read-only disk).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / OUTBOX_NAME
    existed = path.exists() and path.stat().st_size > 0
    try:
        outbox = Outbox(path)
    except sqlite3.DatabaseError as err:
        if not is_damage(err):
            raise
        problem = f"{type(err).__name__}: {err}"
    else:
        problem = outbox.quick_check()
        if problem is None:
            return _sound(outbox, existed, clock)
        outbox.close()
    last_seq = readable_last_seq(path)
    aside = move_aside(path, clock())
    outbox = Outbox(path)
    start = max(reserved_seq(data_dir), last_seq or 0)
    log.critical(
        "HỘP THƯ HỎNG / OUTBOX DAMAGED: %s (%s). It is kept as %s for a technician; a new outbox begins at seq %d.",
        path, problem, aside.name, start + 1,
    )
    _record(outbox, clock, reason=problem, file=aside.name, start=start)
    return outbox


def _sound(outbox: Outbox, existed: bool, clock: Callable[[], float]) -> Outbox:
    """A sound outbox: begun anew after a lost one when numbers were reserved but it has none."""
    reserved = reserved_seq(outbox.path.parent)
    last = outbox.get_meta("last_seq")
    # Numbers are reserved a block ahead: a sound pair never has last_seq that far behind.
    if reserved > 0 and (last is None or last < reserved - SEQ_BLOCK):
        reason = (("emptied" if existed else "missing") if last is None
                  else f"its last seq {last} is behind the {reserved} reserved (an older copy?)")
        log.critical("HỘP THƯ MẤT / OUTBOX LOST: %s: %s; seq up to %d was reserved; it goes on from %d.",
                     outbox.path, reason, reserved, reserved + 1)
        _record(outbox, clock, reason=reason, file=None, start=reserved)
    requeued = outbox.requeue_mistaken()
    if requeued:
        log.warning("%d ratings and duty events set aside for a whole request's refusal are queued again", requeued)
    return outbox


def _record(outbox: Outbox, clock: Callable[[], float], *, reason: str, file: str | None, start: int) -> None:
    replaced: dict[str, Any] = {"at": _utc(clock()), "reason": reason, "file": file, "seq_from": start + 1}
    outbox.set_meta({"last_seq": start, "outbox_replaced": replaced})
