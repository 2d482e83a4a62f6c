"""Health checks for the load balancer and the deploy scripts."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from . import __version__
from .db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers. Touches nothing else, so it also marks the stack's ceiling in benchmarks."""
    return jsonify({"status": "ok", "version": __version__})


@bp.get("/readyz")
def readyz():
    """The process can reach its database: take it into the load balancer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
