"""The draft's floors and slots: ordering, duplicating, hiding, editing,
links checked against the catalog, images checked by the core's upload
checks, and every change audited and limited to the user's store."""
import pytest
from sqlalchemy import func, select

from plugins.content.models import Floor, Slot
from plugins.content.services import ContentError, floors, pages
from portal.access import AccessDenied
from portal.models import AuditLog, StoredFile
from tests.conftest import create_user
from tests.plugins.content.conftest import fake_upload, png_upload


@pytest.fixture()
def home(shop):
    return pages.ensure_homepage(None, shop.m.id)


def titles(page):
    return [f.title for f in sorted(page.floors, key=lambda f: f.position)]


def test_floors_keep_the_order_they_are_given(db, home):
    a, b, c = (floors.add_floor(None, home, "rich_text", t) for t in "ABC")
    assert titles(home) == ["A", "B", "C"]
    floors.reorder_floors(None, home, [c.id, a.id, b.id])
    db.session.flush()
    db.session.expire_all()
    assert titles(home) == ["C", "A", "B"]
    floors.move_floor(None, a, -1)
    assert titles(home) == ["A", "C", "B"]
    floors.move_floor(None, a, -1)  # already first: nothing moves
    assert titles(home) == ["A", "C", "B"]


def test_a_reorder_must_name_every_floor_once(db, home):
    a, b = floors.add_floor(None, home, "banner", "A"), floors.add_floor(None, home, "banner", "B")
    for bad in ([a.id], [a.id, a.id], [a.id, b.id, 999999], ["x", "y"]):
        with pytest.raises(ContentError):
            floors.reorder_floors(None, home, bad)
    assert titles(home) == ["A", "B"]


def test_duplicate_copies_the_floor_and_its_slots_right_below_with_new_keys(db, shop, home):
    a = floors.add_floor(None, home, "product_grid", "Picks")
    floors.add_floor(None, home, "rich_text", "Last")
    slot = floors.add_slot(None, a, {"link_type": "product", "link_id": shop.p1.id, "title": "Tea"})
    copy = floors.duplicate_floor(None, a)
    assert titles(home) == ["Picks", "Picks", "Last"]
    assert copy.key != a.key and [s.link_id for s in copy.slots] == [shop.p1.id]
    assert copy.slots[0].key != slot.key


def test_hide_and_delete(db, home):
    a = floors.add_floor(None, home, "banner", "A")
    b = floors.add_floor(None, home, "banner", "B")
    floors.set_hidden(None, a, True)
    assert a.hidden
    floors.delete_floor(None, a)
    db.session.flush()
    assert titles(home) == ["B"] and b.position == 0
    assert db.session.get(Floor, a.id) is None


def test_edit_in_place_checks_the_rule_and_cleans_rich_text(db, shop, home):
    grid = floors.add_floor(None, home, "product_grid")
    with pytest.raises(ContentError, match="Category"):
        floors.update_floor(None, grid, {"title": "Best", "rule": "top_sellers"})
    floors.update_floor(None, grid, {"title": "Best", "rule": "top_sellers", "rule_category_id": str(shop.tea.id),
                                     "item_limit": "4"})
    assert (grid.rule, grid.rule_category_id, grid.item_limit) == ("top_sellers", shop.tea.id, 4)
    text = floors.add_floor(None, home, "rich_text")
    floors.update_floor(None, text, {"body_html": '<p onclick="x()">Hi <script>alert(1)</script>'
                                                  '<a href="javascript:x">y</a></p>'})
    assert "script" not in text.body_html and "onclick" not in text.body_html and "javascript" not in text.body_html
    with pytest.raises(ContentError, match="End"):
        from datetime import datetime
        floors.update_floor(None, text, {"starts_at": datetime(2026, 5, 2), "ends_at": datetime(2026, 5, 1)})


def test_slot_links_are_checked_against_the_catalog(db, shop, home):
    grid = floors.add_floor(None, home, "product_grid")
    with pytest.raises(ContentError, match="does not exist"):
        floors.add_slot(None, grid, {"link_type": "product", "link_id": shop.theirs.id})  # another store's
    with pytest.raises(ContentError, match="link to"):
        floors.add_slot(None, grid, {"link_type": "brand", "link_id": shop.brand.id})  # wrong type for the floor
    nav = floors.add_floor(None, home, "category_nav")
    with pytest.raises(ContentError):
        floors.add_slot(None, nav, {"link_type": "category", "link_id": "abc"})
    floors.add_slot(None, nav, {"link_type": "category", "link_id": shop.green.id})
    banner = floors.add_floor(None, home, "banner")
    with pytest.raises(ContentError, match="https"):
        floors.add_slot(None, banner, {"link_type": "url", "url": "javascript:alert(1)"}, png_upload())
    assert db.session.execute(select(func.count()).select_from(Slot)).scalar() == 1


def test_a_banner_needs_a_real_image_and_a_bad_one_writes_nothing(db, shop, home):
    banner = floors.add_floor(None, home, "banner")
    with pytest.raises(ContentError, match="needs an image"):
        floors.add_slot(None, banner, {"link_type": "product", "link_id": shop.p1.id})
    files = db.session.execute(select(func.count()).select_from(StoredFile)).scalar()
    with pytest.raises(ContentError, match="not an allowed type"):
        floors.add_slot(None, banner, {"link_type": "product", "link_id": shop.p1.id}, fake_upload())
    assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar() == files
    slot = floors.add_slot(None, banner, {"link_type": "product", "link_id": shop.p1.id}, png_upload())
    assert slot.image.kind == "content.image" and slot.image.width == 40


def test_changes_are_audited_and_limited_to_the_users_store(db, shop, home):
    staff = create_user("merchant_staff", shop.m)
    stranger = create_user("merchant_staff", shop.other)
    floor = floors.add_floor(staff, home, "banner", "Mine")
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "content.floor.add",
                                                     AuditLog.user_id == staff.id)).scalar_one()
    with pytest.raises(AccessDenied):
        floors.set_hidden(stranger, floor, True)
    # merchant staff asking for "the platform's" homepage get their own store's, never the platform's
    assert pages.ensure_homepage(stranger, None).merchant_id == shop.other.id
