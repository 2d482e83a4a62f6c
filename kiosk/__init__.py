"""Hài Lòng kiosk: the rating terminal on the Raspberry Pi at each desk.

One process (``python -m kiosk``) serves the touch screen, reads the GPIO
buttons, keeps every press in a durable SQLite outbox and uploads it to the
central service (docs/protocol.md §2–§4).
"""

__version__ = "0.1.0"
