"""Placeholder until the commands land (owned by the CLI work)."""


def init_app(app):
    pass
