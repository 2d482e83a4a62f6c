"""Ids in URLs: a whole number past what an id column holds names nothing, like any unknown id.

The ids in URLs are ``integer`` columns (PostgreSQL's 4-byte integer), so
``/officers/99999999999999999999/edit`` can name no row; passed on as it is,
PostgreSQL refuses to compare the number with the column and the request
ends in a 500. Registered as the ``int`` converter, this reads such a number
as 0, which no row has (ids start at 1): every view then answers as for an
unknown id (404), the console's and the kiosk API's alike. Refusing the
number in the converter instead would make the router answer 405 to a POST.
A route over a ``bigint`` id (the watch alerts) gives its own ``max``.
"""
from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

# The largest value of PostgreSQL's integer, which the ids in URLs are.
MAX_ID = 2**31 - 1
# What a number past it reads as: no row has this id.
NO_ID = 0


class IdConverter(IntegerConverter):
    """``int`` that reads a number past ``max`` (``MAX_ID`` unless the route says) as ``NO_ID``."""

    def __init__(self, map: Any, *args: Any, max: int = MAX_ID, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.largest = max

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= self.largest else NO_ID
