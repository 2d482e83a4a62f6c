"""Placeholder until the console lands (owned by the console work)."""
from flask import Blueprint

bp = Blueprint("console", __name__)
