"""The console's Vietnamese catalogue: every message the code can show has a translation."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import admin

ADMIN = Path(admin.__file__).parent
PO = ADMIN / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def source_messages() -> set[str]:
    """The message ids pybabel extracts with admin/babel.cfg and the ``_l`` keyword."""
    with (ADMIN / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ADMIN, method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_vietnamese_translation():
    with PO.open("rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(source_messages() - translated)
    assert not missing, (
        "untranslated: " + repr(missing) + ": run pybabel extract and update, then translate admin/translations/vi"
    )
    assert not catalog.fuzzy
