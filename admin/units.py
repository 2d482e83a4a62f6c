"""The tree of administrative units: creating and moving units, and subtree queries.

A unit's ``path`` lists the ids from the root down (``/1/4/17/``), so "this
unit and everything below it" is a single ``path LIKE '/1/4/%'``: no
recursive query, the same SQL on SQLite and PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import Select, false, func, literal, select, update

from .db import db
from .models import UNIT_KINDS, Unit


def create_unit(name: str, kind: str, parent: Unit | None) -> Unit:
    """Add a unit under ``parent`` (a root when None) and give it its path.

    The path needs the new id, so the unit is flushed first. Raises
    ValueError for an unknown ``kind`` or an empty name.
    """
    name = name.strip()
    if not name:
        raise ValueError("Tên đơn vị không được để trống. / A unit needs a name.")
    if kind not in UNIT_KINDS:
        raise ValueError(f"Loại đơn vị không hợp lệ: {kind!r}. / Unknown unit kind: {kind!r}.")
    unit = Unit(name=name, kind=kind, parent=parent)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    return unit


def move_unit(unit: Unit, new_parent: Unit | None) -> None:
    """Put ``unit`` under ``new_parent`` (a root when None), rewriting the paths below it.

    Raises ValueError when ``new_parent`` is the unit itself or one of its
    descendants, which would cut the subtree off the tree.
    """
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ValueError(
            "Không thể chuyển một đơn vị vào chính nó hoặc đơn vị cấp dưới của nó. "
            "/ A unit cannot be moved under itself or a unit below it."
        )
    old_prefix = unit.path
    new_prefix = f"{new_parent.path if new_parent else '/'}{unit.id}/"
    unit.parent = new_parent
    # One UPDATE for the whole subtree: replace the old prefix by the new one.
    db.session.execute(
        update(Unit)
        .where(Unit.path.like(old_prefix + "%"))
        .values(path=literal(new_prefix) + func.substr(Unit.path, len(old_prefix) + 1))
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()


def subtree_unit_ids_select(unit_id: int) -> Select:
    """A SELECT of the ids of unit ``unit_id`` and of every unit below it.

    Use it inside ``.in_(...)``. An unknown unit selects nothing.
    """
    path = db.session.execute(select(Unit.path).where(Unit.id == unit_id)).scalar_one_or_none()
    if path is None:
        return select(Unit.id).where(false())
    return select(Unit.id).where(Unit.path.like(path + "%"))


def unit_in_subtree(unit_id: int, root_id: int) -> bool:
    """Whether unit ``unit_id`` is ``root_id`` or lies below it. False when either is unknown."""
    paths = dict(
        db.session.execute(select(Unit.id, Unit.path).where(Unit.id.in_((unit_id, root_id)))).all()
    )
    if unit_id not in paths or root_id not in paths:
        return False
    return paths[unit_id].startswith(paths[root_id])


def unit_ancestor_ids(unit: Unit) -> list[int]:
    """The ids of ``unit`` and of every unit above it, from the root down (read from its path)."""
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def unit_choices(root_id: int | None) -> list[tuple[int, str]]:
    """(id, name indented by depth) for a form's select box, in tree order.

    Lists the subtree of ``root_id``, or every unit when None; siblings are
    ordered by name. The indent is a dash per level, which survives HTML's
    collapsing of spaces inside ``<option>``.
    """
    stmt = select(Unit.id, Unit.name, Unit.parent_id, Unit.path)
    if root_id is not None:
        stmt = stmt.where(Unit.id.in_(subtree_unit_ids_select(root_id)))
    rows = db.session.execute(stmt).all()
    ids = {row.id for row in rows}
    children: dict[int | None, list] = {}
    for row in rows:
        # The top of the listed subtree has a parent outside it (or none).
        parent = row.parent_id if row.parent_id in ids else None
        children.setdefault(parent, []).append(row)
    choices: list[tuple[int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: (r.name, r.id)):
            choices.append((row.id, "— " * depth + row.name))
            walk(row.id, depth + 1)

    walk(None, 0)
    return choices
