"""Placeholder until the console lands (owned by the console work)."""


def init_app(app):
    pass
