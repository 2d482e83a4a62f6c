"""Group commit: one thread per process writes the kiosk API's batches, many to a transaction.

A rating we acknowledge must survive a power cut, so every commit waits for
the disk (SQLite ``synchronous=FULL``, PostgreSQL's WAL flush): about a
millisecond or more here. One commit per request would cap the service at
that rate whatever its CPU. Request threads therefore validate on their own
and hand the writing to this thread, which takes everything that queued up
during the previous commit into the next transaction: one wait on the disk
for many requests. Requests handed over with the same write function are
also written by one call of it, so that it can use one statement for all.

A failure in one request's work must not fail the others that share its
transaction: the group is then rolled back and each request runs again in a
transaction of its own, so only the failing one gets the error.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy.engine import Connection, Engine

from ..db import SQLITE_WRITE_LOCK, db

log = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")
# Writes a list of payloads on a connection, inside its transaction; one result per payload.
WriteMany = Callable[[Connection, list[Any]], list[Any]]

# A thread with nothing to write for this long ends and gives its connection
# back; the next request starts a new one.
IDLE_S = 10.0
# Requests per transaction at most: bounds how long one commit holds SQLite's lock.
MAX_GROUP = 64


class _Job:
    """One request's payload for the writer.

    ``done`` is a lock held until the job is finished: lighter than an Event,
    and the waiting request thread wakes the moment it is released.
    """

    __slots__ = ("write", "payload", "done", "result", "error")

    def __init__(self, write: WriteMany, payload: Any):
        self.write = write
        self.payload = payload
        self.done = threading.Lock()
        self.done.acquire()
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.release()


class GroupWriter:
    """Runs ``write(connection, payloads)`` functions in shared transactions on one thread.

    ``lock`` is held around each transaction: on SQLite, the process-wide
    writer lock that the other write paths take too (``db.writing``).
    Transactions run on the driver's connection: ``begin`` opens one (SQLite
    needs ``BEGIN IMMEDIATE``; psycopg begins by itself). ``pragmas`` are run
    there when the thread takes the connection, and ``undo`` before it gives
    it back to the pool.
    """

    def __init__(
        self, engine: Engine, lock: AbstractContextManager, begin: str | None = None,
        pragmas: tuple[str, ...] = (), undo: tuple[str, ...] = (),
    ):
        self._engine = engine
        self._lock = lock
        self._begin = begin
        self._pragmas = pragmas
        self._undo = undo
        self._queue: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._running = False

    def submit(self, write: Callable[[Connection, list[P]], list[R]], payload: P) -> R:
        """Write ``payload`` with ``write`` in a committed transaction; its result, or raise its error.

        ``write(connection, payloads)`` may get other requests' payloads in
        the same call, and returns one result per payload, in order. It runs
        on the writer's thread, outside any app or request context: it gets
        everything it needs through the payloads and the connection, and
        must not use ``db.session``.
        """
        job = _Job(write, payload)
        with self._wake:
            self._queue.append(job)
            if self._running:
                self._wake.notify()
            else:
                self._running = True
                threading.Thread(target=self._run, name="hailong-writer", daemon=True).start()
        job.done.acquire()
        if job.error is not None:
            raise job.error
        return job.result

    def _next_group(self) -> list[_Job]:
        """Wait for work; an empty list when idle long enough to stop."""
        with self._wake:
            if not self._queue:
                self._wake.wait(IDLE_S)
            if not self._queue:
                self._running = False
                return []
            return [self._queue.popleft() for _ in range(min(len(self._queue), MAX_GROUP))]

    def _run(self) -> None:
        while True:
            try:
                conn = self._engine.connect()
            except Exception as err:  # the database is unreachable: fail what waits, let the next request retry
                self._fail_all(err)
                return
            with conn:
                if self._serve(conn):
                    return
            # A write failed. The connection may be what broke (a restarted
            # database): it was thrown away, and the queue goes on with a new one.

    def _serve(self, conn: Connection) -> bool:
        """Write groups on ``conn`` until idle (True) or until a write fails (False, ``conn`` invalidated)."""
        driver_conn = conn.connection.driver_connection
        for pragma in self._pragmas:
            driver_conn.execute(pragma)
        while jobs := self._next_group():
            if not self._write(conn, jobs):
                conn.invalidate()
                return False
        for pragma in self._undo:
            driver_conn.execute(pragma)
        return True

    def _fail_all(self, err: BaseException) -> None:
        with self._wake:
            jobs = list(self._queue)
            self._queue.clear()
            self._running = False
        for job in jobs:
            job.finish(error=err)

    @contextmanager
    def _transaction(self, conn: Connection) -> Iterator[None]:
        """A transaction on the driver's connection: SQLAlchemy's begin costs as much as writing a rating."""
        driver_conn = conn.connection.driver_connection
        if self._begin:
            driver_conn.execute(self._begin)
        try:
            yield
        except BaseException:
            # A broken connection cannot roll back either; it is thrown away after
            # a failure (see ``_serve``), and the request gets the first error.
            with suppress(Exception):
                driver_conn.rollback()
            raise
        driver_conn.commit()

    def _write(self, conn: Connection, jobs: list[_Job]) -> bool:
        """Write ``jobs`` in one transaction, else each alone; False if any failed."""
        with self._lock:
            try:
                with self._transaction(conn):
                    results = [result for run in _runs(jobs) for result in _write_run(conn, run)]
            except Exception as err:
                if len(jobs) == 1:
                    jobs[0].finish(error=err)
                    return False
                log.warning("A group of %d writes failed (%s); writing each alone", len(jobs), err)
                for job in jobs:
                    self._write_alone(conn, job)
                return False
        for job, result in zip(jobs, results):
            job.finish(result)
        return True

    def _write_alone(self, conn: Connection, job: _Job) -> None:
        try:
            with self._transaction(conn):
                [result] = _write_run(conn, [job])
        except Exception as err:
            job.finish(error=err)
        else:
            job.finish(result)


def _runs(jobs: list[_Job]) -> list[list[_Job]]:
    """``jobs`` cut where the write function changes: each run is written by one call."""
    runs: list[list[_Job]] = []
    for job in jobs:
        if runs and runs[-1][0].write is job.write:
            runs[-1].append(job)
        else:
            runs.append([job])
    return runs


def _write_run(conn: Connection, run: list[_Job]) -> list[Any]:
    results = run[0].write(conn, [job.payload for job in run])
    if len(results) != len(run):
        raise RuntimeError(f"{run[0].write.__qualname__} gave {len(results)} results for {len(run)} payloads")
    return results


def group_writer() -> GroupWriter:
    """The app's group-commit writer, made on first use.

    On SQLite its connection skips the foreign-key checks, which cost half
    the time of inserting a batch of ratings: everything a rating refers to
    is checked before it is written (the kiosk, desk and unit come from the
    token, the officer and the reasons are looked up) and nothing in the
    service deletes those rows. PostgreSQL checks them all, always.
    """
    writer = current_app.extensions.get("hailong.writer")
    if writer is None:
        if db.engine.dialect.name == "sqlite":
            new = GroupWriter(
                db.engine, SQLITE_WRITE_LOCK, "BEGIN IMMEDIATE", ("PRAGMA foreign_keys=OFF",), ("PRAGMA foreign_keys=ON",)
            )
        else:
            new = GroupWriter(db.engine, nullcontext())
        writer = current_app.extensions.setdefault("hailong.writer", new)
    return writer
