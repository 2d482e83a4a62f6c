"""The hot path keeps a connection open for each request thread.

With SQLAlchemy's default pool (5 kept, 10 more opened for one use and
closed after it), 8 waitress threads under a fleet's load opened and closed
PostgreSQL connections all the time: a new server process each, about a
tenth of the central process's time in the fleet simulator (issue 12, fleet
scale). ``DB_POOL_SIZE`` (10 by default) keeps them.
"""
from __future__ import annotations

import threading

from sqlalchemy import event

from admin.api.hot_path import fetch_one, hot_engine

THREADS = 8  # ADMIN_THREADS' default


ROUNDS = 3


def test_eight_threads_reuse_their_connections_round_after_round(app):
    with app.app_context():
        engine = hot_engine()
        assert engine.pool.size() == app.config["DB_POOL_SIZE"] == 10
        opened: list[object] = []
        event.listen(engine, "connect", lambda conn, _record: opened.append(conn))
        all_busy = threading.Barrier(THREADS)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                with app.app_context():
                    for _ in range(ROUNDS):
                        conn = engine.raw_connection()
                        all_busy.wait(timeout=30)  # every thread holds a connection at once
                        conn.close()
                        all_busy.wait(timeout=30)
                    assert fetch_one("SELECT 1", ()) == (1,)
            except BaseException as err:  # reported below, in the test's thread
                errors.append(err)

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(opened) <= THREADS
