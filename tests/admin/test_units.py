"""The unit tree: paths, moves, subtree queries and the choices shown in forms."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin.db import db
from admin.models import Unit
from admin.units import create_unit, move_unit, subtree_unit_ids_select, unit_choices, unit_in_subtree


@pytest.fixture
def tree(app):
    """Tỉnh → (Huyện Hiệp Hoà → xã Mai Trung, xã Hợp Thịnh), (Huyện Lạng Giang → thị trấn Vôi)."""
    with app.app_context():
        province = create_unit("Tỉnh Bắc Giang", "province", None)
        hiep_hoa = create_unit("Huyện Hiệp Hoà", "district", province)
        mai_trung = create_unit("UBND xã Mai Trung", "commune", hiep_hoa)
        hop_thinh = create_unit("UBND xã Hợp Thịnh", "commune", hiep_hoa)
        lang_giang = create_unit("Huyện Lạng Giang", "district", province)
        voi = create_unit("UBND thị trấn Vôi", "commune", lang_giang)
        db.session.commit()
        ids = {
            "province": province.id,
            "hiep_hoa": hiep_hoa.id,
            "mai_trung": mai_trung.id,
            "hop_thinh": hop_thinh.id,
            "lang_giang": lang_giang.id,
            "voi": voi.id,
        }
    with app.app_context():
        yield ids


def path_of(unit_id: int) -> str:
    return db.session.execute(select(Unit.path).where(Unit.id == unit_id)).scalar_one()


def test_create_unit_path_lists_ids_from_root(tree):
    assert path_of(tree["province"]) == f"/{tree['province']}/"
    assert path_of(tree["mai_trung"]) == f"/{tree['province']}/{tree['hiep_hoa']}/{tree['mai_trung']}/"


def test_create_unit_unknown_kind_refused(tree):
    with pytest.raises(ValueError, match="Unknown unit kind"):
        create_unit("Ấp 3", "hamlet", None)


def test_create_unit_empty_name_refused(tree):
    with pytest.raises(ValueError, match="needs a name"):
        create_unit("   ", "commune", None)


def test_subtree_select_includes_unit_and_all_below(tree):
    ids = set(db.session.scalars(subtree_unit_ids_select(tree["hiep_hoa"])))
    assert ids == {tree["hiep_hoa"], tree["mai_trung"], tree["hop_thinh"]}


def test_subtree_select_of_leaf_is_itself(tree):
    assert set(db.session.scalars(subtree_unit_ids_select(tree["voi"]))) == {tree["voi"]}


def test_subtree_select_unknown_unit_is_empty(tree):
    assert list(db.session.scalars(subtree_unit_ids_select(99999))) == []


def test_subtree_select_does_not_confuse_id_prefixes(app):
    """Unit 1's subtree must not include unit 12 just because "/12/" starts like "/1"."""
    with app.app_context():
        roots = [create_unit(f"Tỉnh {n}", "province", None) for n in range(12)]
        child = create_unit("Huyện con", "district", roots[11])
        db.session.commit()
        ids = set(db.session.scalars(subtree_unit_ids_select(roots[0].id)))
        assert ids == {roots[0].id}
        assert child.id not in ids


def test_unit_in_subtree_answers(tree):
    assert unit_in_subtree(tree["mai_trung"], tree["province"])
    assert unit_in_subtree(tree["mai_trung"], tree["hiep_hoa"])
    assert unit_in_subtree(tree["mai_trung"], tree["mai_trung"])
    assert not unit_in_subtree(tree["mai_trung"], tree["lang_giang"])
    assert not unit_in_subtree(tree["province"], tree["mai_trung"])
    assert not unit_in_subtree(99999, tree["province"])
    assert not unit_in_subtree(tree["province"], 99999)


def test_move_unit_rewrites_paths_of_whole_subtree(tree):
    hiep_hoa = db.session.get(Unit, tree["hiep_hoa"])
    lang_giang = db.session.get(Unit, tree["lang_giang"])
    move_unit(hiep_hoa, lang_giang)
    db.session.commit()
    base = f"/{tree['province']}/{tree['lang_giang']}/{tree['hiep_hoa']}/"
    assert path_of(tree["hiep_hoa"]) == base
    assert path_of(tree["mai_trung"]) == f"{base}{tree['mai_trung']}/"
    assert path_of(tree["hop_thinh"]) == f"{base}{tree['hop_thinh']}/"
    assert hiep_hoa.parent_id == tree["lang_giang"]
    assert hiep_hoa.path == base
    assert unit_in_subtree(tree["mai_trung"], tree["lang_giang"])
    assert path_of(tree["voi"]) == f"/{tree['province']}/{tree['lang_giang']}/{tree['voi']}/"


def test_move_unit_to_root(tree):
    hiep_hoa = db.session.get(Unit, tree["hiep_hoa"])
    move_unit(hiep_hoa, None)
    db.session.commit()
    assert path_of(tree["mai_trung"]) == f"/{tree['hiep_hoa']}/{tree['mai_trung']}/"
    assert not unit_in_subtree(tree["mai_trung"], tree["province"])


def test_move_unit_under_itself_refused(tree):
    hiep_hoa = db.session.get(Unit, tree["hiep_hoa"])
    with pytest.raises(ValueError, match="cannot be moved under itself"):
        move_unit(hiep_hoa, hiep_hoa)


def test_move_unit_under_descendant_refused_and_nothing_changes(tree):
    province = db.session.get(Unit, tree["province"])
    mai_trung = db.session.get(Unit, tree["mai_trung"])
    with pytest.raises(ValueError, match="cannot be moved under itself or a unit below it"):
        move_unit(province, mai_trung)
    db.session.rollback()
    assert path_of(tree["province"]) == f"/{tree['province']}/"
    assert db.session.get(Unit, tree["province"]).parent_id is None


def test_unit_choices_indent_children_in_tree_order(tree):
    assert unit_choices(None) == [
        (tree["province"], "Tỉnh Bắc Giang"),
        (tree["hiep_hoa"], "— Huyện Hiệp Hoà"),
        (tree["hop_thinh"], "— — UBND xã Hợp Thịnh"),
        (tree["mai_trung"], "— — UBND xã Mai Trung"),
        (tree["lang_giang"], "— Huyện Lạng Giang"),
        (tree["voi"], "— — UBND thị trấn Vôi"),
    ]


def test_unit_choices_of_subtree_start_unindented(tree):
    assert unit_choices(tree["hiep_hoa"]) == [
        (tree["hiep_hoa"], "Huyện Hiệp Hoà"),
        (tree["hop_thinh"], "— UBND xã Hợp Thịnh"),
        (tree["mai_trung"], "— UBND xã Mai Trung"),
    ]
