"""Ids in URLs past what an id column holds: every route answers as for an unknown id, never 500.

PostgreSQL refused to compare such a number with an integer column, and the
request ended in a 500 (admin/url_ids.py).
"""
from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter

from .console_support import csrf_token, signed_in

UNKNOWN = 2**31 - 1  # the largest id an integer column holds, and no row has it here
HUGE = (2**31, 2**63, 10**20)


def int_routes(app):
    """Every rule with a whole-number part, with one method it answers."""
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            yield rule, sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_every_route_answers_a_huge_id_as_an_unknown_one(app, world):
    client = signed_in(app, "admin")
    token = csrf_token(client.get("/users").get_data(as_text=True))

    def answer(rule, method, number):
        path = re.sub(r"<int[^>]*>", str(number), rule.rule)
        # The kiosk API with a kiosk's token; the console as an administrator, with the form's token.
        headers = {"Authorization": f"Bearer {world.token_a}"} if path.startswith("/api/") else {}
        return path, client.open(path, method=method, headers=headers,
                                 data={"csrf_token": token} if method == "POST" else None).status_code

    routes = list(int_routes(app))
    assert len(routes) >= 27
    for rule, method in routes:
        _, unknown = answer(rule, method, UNKNOWN)
        assert unknown in (403, 404), (method, rule.rule, unknown)  # refused by role, or not found
        for huge in HUGE:
            path, status = answer(rule, method, huge)
            assert status == unknown, (method, path, status)
