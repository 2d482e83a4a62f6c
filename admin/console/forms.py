"""The base of every console form: CSRF from Flask-WTF, messages from our catalogue."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..i18n import FormTranslations


class Form(FlaskForm):
    """A form whose WTForms messages follow the console's language."""

    class Meta:
        def get_translations(self, form):
            return FormTranslations()


class QueryForm(Form):
    """A form read from the query string (a period, a filter): it changes nothing, so no CSRF.

    Without any query string the fields keep their defaults and the form
    counts as not sent, so ``validate_on_submit`` shows no errors.
    """

    class Meta:
        csrf = False

    def __init__(self, **kwargs):
        super().__init__(formdata=request.args or None, **kwargs)

    def is_submitted(self) -> bool:
        return bool(request.args)


def select_choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """A select box's options from (value, label) pairs, such as ``units.unit_choices`` gives."""
    return [SelectChoice(value, label) for value, label in pairs]
