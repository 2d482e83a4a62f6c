"""What the kiosk keeps on its SD card: the outbox of ratings and duty events, and the last central config.

A press is committed (WAL, ``synchronous=FULL``: fsync before the commit
returns) before the citizen is thanked. The uploader deletes a rating only
after the central service acknowledged it (accepted or duplicate); a
rejected one stays, set aside with the server's error. ``seq`` is kept in
the ``meta`` table and incremented in the same transaction as the insert,
so it survives restarts and is never reused, even after deletes. Blocks of
``SEQ_BLOCK`` numbers are also reserved in a small file beside the database
(``seq-reserved``), so that an outbox lost or damaged beyond reading is
followed by one that goes on past every number the old one may have used
(``outbox_rescue.py``) instead of sending them again for other ratings.

A write that fails (a damaged page, a disk error, a file system remounted
read-only) marks the outbox as failing until the process ends: the systemd
watchdog then stops (``notify.py``) and the restart sets a damaged file aside.

One connection serves every thread behind a lock: presses arrive from
waitress threads and gpiozero's callback thread at once, and SQLite has a
single writer anyway.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable

from .ids import new_id

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    uuid TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    score INTEGER NOT NULL,
    officer_id INTEGER,
    reasons TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- Unix time from which it may be sent; a low score waits for its reasons until then.
    sendable_at REAL NOT NULL,
    awaiting_reasons INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    error TEXT,
    -- The citizen's queue ticket number and short comment, given with the reasons (optional).
    ticket TEXT,
    comment TEXT
);
CREATE INDEX IF NOT EXISTS ratings_sendable ON ratings (state, sendable_at, seq);
CREATE TABLE IF NOT EXISTS duty_events (
    added INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    officer_id INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('sign_in', 'sign_out')),
    at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    error TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# A rating waiting for its reasons longer than this is sendable whatever the
# clock says: a Pi without a real-time clock may jump back once NTP answers.
MAX_REASONS_WAIT_S = 600.0
# seq numbers reserved in the file at a time: one more fsync every SEQ_BLOCK presses, and at most
# SEQ_BLOCK - 1 numbers skipped after an outbox is lost.
SEQ_BLOCK = 100
SEQ_FILE = "seq-reserved"
# Codes that only a whole request's refusal gives, never one rating's fault: an item set aside with
# one of them (or with a code made from a bare HTTP status, "http_413", when a proxy's page was
# taken for the service's answer) was set aside by mistake, and goes back into the queue on start.
NOT_AN_ITEM_FAULT = ("too_large", "too_many_items", "empty_batch", "malformed_json", "out_of_range")


def reserved_seq(data_dir: Path) -> int:
    """The highest seq reserved in ``data_dir`` (``SEQ_FILE``), 0 when none or unreadable."""
    try:
        value = int((data_dir / SEQ_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return 0
    return max(0, value)


class Outbox:
    """The kiosk's SQLite database at ``path``; every method is thread-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._seq_file = path.parent / SEQ_FILE
        # Why writes fail, once one has: the outbox cannot be trusted until the process restarts.
        self.failing: str | None = None
        # Autocommit mode: transactions are the explicit BEGIN IMMEDIATE of ``_write``.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        try:
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.executescript(SCHEMA)
                columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(ratings)")}
                for column in ("ticket", "comment"):
                    if column not in columns:
                        # An outbox made before these were asked for: the column is added, nothing else changes.
                        self._conn.execute(f"ALTER TABLE ratings ADD COLUMN {column} TEXT")
        except BaseException:
            self._conn.close()
            raise
        self._reserved = reserved_seq(path.parent)

    def close(self) -> None:
        """Close the database; the outbox is unusable afterwards."""
        with self._lock:
            self._conn.close()

    def _write(self, work):
        """Run ``work(conn)`` in one write transaction, committed (and fsynced) before returning.

        A failure of the database or the disk (not a constraint) marks the outbox ``failing``.
        """
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(self._conn)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.IntegrityError:
                raise
            except (sqlite3.Error, OSError) as err:
                self.note_failure(err)
                raise
            return result

    def note_failure(self, err: Exception) -> None:
        """Mark the outbox ``failing`` for ``err`` (a write, or a press that could not be stored)."""
        if self.failing is None:
            log.error("the outbox %s failed: %s", self.path, err)
            self.failing = f"{type(err).__name__}: {err}"

    def quick_check(self) -> str | None:
        """None when SQLite's ``PRAGMA quick_check`` finds the database sound, else what it found."""
        try:
            rows = self._read("PRAGMA quick_check")
        except sqlite3.Error as err:
            return f"{type(err).__name__}: {err}"
        found = [row[0] for row in rows]
        return None if found == ["ok"] else "; ".join(found[:3])

    def _reserve_seq(self, seq: int) -> None:
        """Reserve the block of numbers from ``seq`` in ``SEQ_FILE`` before ``seq`` is committed."""
        if seq > self._reserved:
            reserved = seq + SEQ_BLOCK - 1
            write_atomic(self._seq_file, f"{reserved}\n".encode("ascii"))
            self._reserved = reserved

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # -- ratings --------------------------------------------------------------

    def add_rating(
        self, *, score: int, officer_id: int | None, source: str, created_at: str,
        sendable_at: float, awaiting_reasons: bool,
    ) -> tuple[str, int]:
        """Store a new rating with the next ``seq``; returns its UUID and seq."""
        rating_id = new_id()

        def work(conn: sqlite3.Connection) -> int:
            seq = _get_meta(conn, "last_seq", 0) + 1
            self._reserve_seq(seq)
            conn.execute(
                "INSERT INTO ratings (uuid, seq, score, officer_id, source, created_at, sendable_at, awaiting_reasons)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (rating_id, seq, score, officer_id, source, created_at, sendable_at, int(awaiting_reasons)),
            )
            _set_meta(conn, {"last_seq": seq})
            return seq

        return rating_id, self._write(work)

    def set_reasons(
        self, rating_id: str, codes: list[str], now: float, ticket: str | None = None, comment: str | None = None,
    ) -> bool:
        """Add the final reasons (and the queue ticket, the comment) to a rating still waiting for them,
        and make it sendable; False otherwise.

        They join those stored so far (answered with the buttons). True also
        when the rating already carries them all (the answer to an earlier try
        was lost), so a screen may send again.
        """
        return self.save_reasons(rating_id, codes, now, sendable_at=now, final=True, ticket=ticket, comment=comment)

    def save_reasons(
        self, rating_id: str, codes: list[str], now: float, *, sendable_at: float, final: bool,
        ticket: str | None = None, comment: str | None = None,
    ) -> bool:
        """Store reasons for a rating still waiting for them, and when it becomes sendable.

        Not ``final``: ``codes`` are all the reasons chosen so far, and the
        rating goes on waiting (until ``sendable_at``); it is sent with them if
        nothing else comes. ``final``: ``codes`` join those stored and the
        rating is done. False when the rating is not waiting (unknown, sent,
        or past its wait).
        """

        def work(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT reasons, awaiting_reasons, sendable_at, ticket, comment FROM ratings"
                               " WHERE uuid = ? AND state = 'pending'", (rating_id,)).fetchone()
            if row is None:
                return False
            have = json.loads(row["reasons"])
            if not row["awaiting_reasons"]:
                return (final and set(codes) <= set(have) and ticket in (None, row["ticket"])
                        and comment in (None, row["comment"]))
            if not now < row["sendable_at"] <= now + MAX_REASONS_WAIT_S:
                return False
            reasons = list(dict.fromkeys([*have, *codes])) if final else codes
            conn.execute(
                "UPDATE ratings SET reasons = ?, awaiting_reasons = ?, sendable_at = ?, ticket = coalesce(?, ticket),"
                " comment = coalesce(?, comment) WHERE uuid = ?",
                (json.dumps(reasons), 0 if final else 1, sendable_at, ticket, comment, rating_id),
            )
            return True

        return self._write(work)

    def sendable_ratings(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` pending ratings that may be sent, oldest first, as docs/protocol.md §2 items."""
        rows = self._read(
            "SELECT uuid, seq, score, officer_id, reasons, source, created_at, ticket, comment FROM ratings"
            " WHERE state = 'pending' AND (sendable_at <= ? OR sendable_at > ?) ORDER BY seq LIMIT ?",
            (now, now + MAX_REASONS_WAIT_S, limit),
        )
        return [
            {"id": r["uuid"], "seq": r["seq"], "score": r["score"], "officer_id": r["officer_id"],
             "reasons": json.loads(r["reasons"]), "source": r["source"], "created_at": r["created_at"],
             **{key: r[key] for key in ("ticket", "comment") if r[key] is not None}}
            for r in rows
        ]

    def next_sendable_at(self, now: float) -> float | None:
        """When the next rating still waiting for its reasons becomes sendable, or None."""
        rows = self._read(
            "SELECT min(sendable_at) FROM ratings WHERE state = 'pending' AND sendable_at > ? AND sendable_at <= ?",
            (now, now + MAX_REASONS_WAIT_S),
        )
        return rows[0][0]

    def settle_ratings(self, acknowledged: list[str], rejected: list[dict[str, Any]]) -> None:
        """Delete what the server acknowledged; set aside what it rejected, with its error."""
        self._settle("ratings", acknowledged, rejected)

    def rejected_ratings(self) -> list[dict[str, Any]]:
        """The ratings the central service refused, with its error, oldest first."""
        rows = self._read("SELECT uuid, seq, score, error FROM ratings WHERE state = 'rejected' ORDER BY seq")
        return [{"id": r["uuid"], "seq": r["seq"], "score": r["score"], "error": _error(r["error"])}
                for r in rows]

    def rejected_duty_events(self) -> list[dict[str, Any]]:
        """The sign-ins and sign-outs the central service refused, with its error, oldest first."""
        rows = self._read("SELECT uuid, officer_id, action, at, error FROM duty_events WHERE state = 'rejected'"
                          " ORDER BY added")
        return [{"id": r["uuid"], "officer_id": r["officer_id"], "action": r["action"], "at": r["at"],
                 "error": _error(r["error"])} for r in rows]

    def requeue(self, ids: list[str] | None) -> int:
        """Put set-aside ratings and duty events back in the queue: those of ``ids``, or all (None).

        All or nothing: ``KeyError`` naming the first id that is not set aside, and nothing changes.
        Returns how many went back.
        """

        def work(conn: sqlite3.Connection) -> int:
            if ids is None:
                return sum(conn.execute(f"UPDATE {table} SET state = 'pending', error = NULL"
                                        " WHERE state = 'rejected'").rowcount for table in ("ratings", "duty_events"))
            count = 0
            for item in dict.fromkeys(ids):
                changed = sum(conn.execute(f"UPDATE {table} SET state = 'pending', error = NULL"
                                           " WHERE uuid = ? AND state = 'rejected'", (item,)).rowcount
                              for table in ("ratings", "duty_events"))
                if not changed:
                    raise KeyError(item)
                count += changed
            return count

        return self._write(work)

    def requeue_mistaken(self) -> int:
        """Put back what was set aside for a whole request's refusal, not its own fault
        (``NOT_AN_ITEM_FAULT``, or an ``http_NNN`` code from a proxy's page); how many."""
        codes = ",".join("?" * len(NOT_AN_ITEM_FAULT))

        def work(conn: sqlite3.Connection) -> int:
            return sum(conn.execute(
                f"UPDATE {table} SET state = 'pending', error = NULL WHERE state = 'rejected' AND"
                f" (json_extract(error, '$.code') IN ({codes}) OR json_extract(error, '$.code') GLOB 'http_[0-9]*')",
                NOT_AN_ITEM_FAULT).rowcount for table in ("ratings", "duty_events"))

        return self._write(work)

    # -- duty events ----------------------------------------------------------

    def add_duty_event(self, officer_id: int, action: str, at: str, meta: dict[str, Any],
                       event_id: str | None = None) -> str:
        """Store a sign-in or sign-out (with the local duty state ``meta``, same transaction); returns its UUID."""
        event_id = event_id or new_id()

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO duty_events (uuid, officer_id, action, at) VALUES (?, ?, ?, ?)",
                (event_id, officer_id, action, at),
            )
            _set_meta(conn, meta)

        self._write(work)
        return event_id

    def sendable_duty_events(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` pending duty events, oldest first, as docs/protocol.md §2 items."""
        rows = self._read(
            "SELECT uuid, officer_id, action, at FROM duty_events WHERE state = 'pending' ORDER BY added LIMIT ?",
            (limit,),
        )
        return [{"id": r["uuid"], "officer_id": r["officer_id"], "action": r["action"], "at": r["at"]}
                for r in rows]

    def settle_duty_events(self, acknowledged: list[str], rejected: list[dict[str, Any]]) -> None:
        """Delete the duty events the server acknowledged; set aside the rejected ones."""
        self._settle("duty_events", acknowledged, rejected)

    def _settle(self, table: str, acknowledged: list[str], rejected: list[dict[str, Any]]) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(f"DELETE FROM {table} WHERE uuid = ?", [(i,) for i in acknowledged])
            conn.executemany(
                f"UPDATE {table} SET state = 'rejected', error = ? WHERE uuid = ?",
                [(json.dumps(r.get("error")), str(r.get("id"))) for r in rejected],
            )

        self._write(work)

    # -- counts and meta ------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """outbox_depth (pending ratings), rejected ratings, duty events pending and rejected."""
        row = self._read(
            "SELECT"
            " (SELECT count(*) FROM ratings WHERE state = 'pending'),"
            " (SELECT count(*) FROM ratings WHERE state = 'rejected'),"
            " (SELECT count(*) FROM duty_events WHERE state = 'pending'),"
            " (SELECT count(*) FROM duty_events WHERE state = 'rejected')"
        )[0]
        return {"outbox_depth": row[0], "rejected": row[1], "duty_pending": row[2], "duty_rejected": row[3]}

    def pending_count(self) -> int:
        """Ratings not yet acknowledged by the central service (rejected ones excluded)."""
        return self._read("SELECT count(*) FROM ratings WHERE state = 'pending'")[0][0]

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``, or ``default``."""
        with self._lock:
            return _get_meta(self._conn, key, default)

    def set_meta(self, values: dict[str, Any]) -> None:
        """Store several JSON values in one transaction."""
        self._write(lambda conn: _set_meta(conn, values))

    def increment_meta(self, key: str) -> int:
        """Add one to the counter under ``key``; returns the new value."""

        def work(conn: sqlite3.Connection) -> int:
            value = _get_meta(conn, key, 0) + 1
            _set_meta(conn, {key: value})
            return value

        return self._write(work)

    def all_meta(self) -> dict[str, Any]:
        """Every meta value, by key."""
        return {r["key"]: json.loads(r["value"]) for r in self._read("SELECT key, value FROM meta")}


def _error(raw: str | None) -> dict[str, Any]:
    """A set-aside item's stored error as an object with a ``code`` and a ``message``."""
    try:
        error = json.loads(raw) if raw else None
    except ValueError:
        error = None
    if not isinstance(error, dict):
        return {"code": "unknown", "message": ""}
    return {"code": str(error.get("code", "unknown")), "message": str(error.get("message", ""))}


def _get_meta(conn: sqlite3.Connection, key: str, default: Any) -> Any:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def _set_meta(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(k, json.dumps(v)) for k, v in values.items()],
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a power cut leaves the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    # The rename itself is durable only once the directory is synced.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class ConfigCache:
    """The last central config (with its ETag) and the officers' photos, in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.config_path = data_dir / "central-config.json"
        self.photos_dir = data_dir / "photos"
        self.photos_dir.mkdir(parents=True, exist_ok=True)

    def load(self) -> tuple[dict[str, Any], str | None] | None:
        """The cached config and its ETag, or None when there is none (or it cannot be read)."""
        try:
            saved = json.loads(self.config_path.read_bytes())
            return saved["config"], saved.get("etag")
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, config: dict[str, Any], etag: str | None) -> None:
        """Keep ``config`` for the next start without network."""
        data = json.dumps({"etag": etag, "config": config}, ensure_ascii=False).encode("utf-8")
        write_atomic(self.config_path, data)

    def photo_path(self, officer_id: int) -> Path | None:
        """The cached photo file of ``officer_id``, or None."""
        for suffix in (".jpg", ".png"):
            path = self.photos_dir / f"{officer_id}{suffix}"
            if path.is_file():
                return path
        return None

    def save_photo(self, officer_id: int, data: bytes, content_type: str) -> Path:
        """Store an officer's photo, replacing any older one."""
        suffix = ".png" if content_type.split(";")[0].strip().lower() == "image/png" else ".jpg"
        self.remove_photo(officer_id)
        path = self.photos_dir / f"{officer_id}{suffix}"
        write_atomic(path, data)
        return path

    def remove_photo(self, officer_id: int) -> None:
        """Forget an officer's photo (no longer listed, or removed centrally)."""
        for suffix in (".jpg", ".png"):
            (self.photos_dir / f"{officer_id}{suffix}").unlink(missing_ok=True)
