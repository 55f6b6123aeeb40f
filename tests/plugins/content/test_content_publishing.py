"""Drafts and publishing: the storefront sees only published versions,
rolling back publishes an earlier one again, start and end times are
respected to the second, products off the shelf drop out, and top sellers
come from the orders plugin's figures (or the newest products without them)."""
import json
from datetime import datetime, timedelta

import pytest

from plugins.catalog.services import shelf
from plugins.content.services import ContentError, floors, pages, publishing
from plugins.content.services.storefront import resolve, sales_available
from portal.access import AccessDenied
from portal.models import utcnow
from tests.conftest import create_user
from tests.plugins.orders.helpers import switch

T = datetime(2026, 6, 1, 12, 0, 0)


@pytest.fixture()
def home(shop):
    return pages.ensure_homepage(None, shop.m.id)


def live(page, now=T):
    """What the storefront shows from the live version at ``now``."""
    version = page.live_version
    return resolve(page, json.loads(version.snapshot), now, version)


def draft(page, now=T):
    return resolve(page, publishing.snapshot(page), now)


def floor_titles(body):
    return [f["title"] for f in body["floors"]]


def text_floor(page, title, **window):
    floor = floors.add_floor(None, page, "rich_text", title)
    floors.update_floor(None, floor, {"title": title, "body_html": f"<p>{title}</p>", **window})
    return floor


def test_the_storefront_sees_the_published_version_not_the_draft(db, home):
    text_floor(home, "First")
    assert publishing.publish(None, home).number == 1
    text_floor(home, "Second")
    assert home.has_unpublished_changes
    assert floor_titles(live(home)) == ["First"]
    assert floor_titles(draft(home)) == ["First", "Second"]
    publishing.publish(None, home, "with second")
    assert floor_titles(live(home)) == ["First", "Second"] and not home.has_unpublished_changes
    assert [v.number for v in publishing.versions(home)] == [2, 1]


def test_hidden_floors_stay_in_the_draft_but_not_on_the_storefront(db, home):
    text_floor(home, "Shown")
    hidden = text_floor(home, "Hidden")
    floors.set_hidden(None, hidden, True)
    publishing.publish(None, home)
    assert floor_titles(live(home)) == ["Shown"]
    assert "Hidden" in [f["title"] for f in json.loads(home.live_version.snapshot)["floors"]]


def test_rollback_publishes_the_old_version_again_and_makes_it_the_draft(db, home):
    text_floor(home, "Spring")
    v1 = publishing.publish(None, home)
    floors.delete_floor(None, home.floors[0])
    text_floor(home, "Summer")
    publishing.publish(None, home)
    v3 = publishing.rollback(None, home, v1.id)
    assert (v3.number, v3.restored_from) == (3, 1)
    assert floor_titles(live(home)) == ["Spring"]
    assert [f.title for f in home.floors] == ["Spring"] and home.floors[0].key == json.loads(v1.snapshot)["floors"][0]["key"]


def test_rollback_refuses_another_pages_version(db, shop, home):
    text_floor(home, "Mine")
    other = pages.ensure_homepage(None, shop.other.id)
    text_floor(other, "Theirs")
    theirs = publishing.publish(None, other)
    with pytest.raises(ContentError, match="not a version of this page"):
        publishing.rollback(None, home, theirs.id)


def test_publishing_needs_its_own_grant(db, shop, home):
    text_floor(home, "Hello")
    staff, admin = create_user("merchant_staff", shop.m), create_user("merchant_admin", shop.m)
    floors.add_floor(staff, home, "rich_text", "staff may edit")
    with pytest.raises(AccessDenied):
        publishing.publish(staff, home)
    assert publishing.publish(admin, home).published_by_id == admin.id


def test_an_empty_draft_is_not_published(db, home):
    with pytest.raises(ContentError, match="empty"):
        publishing.publish(None, home)


def test_floor_windows_include_the_start_and_exclude_the_end(db, home):
    text_floor(home, "Always")
    text_floor(home, "Noon", starts_at=T, ends_at=T + timedelta(hours=1))
    publishing.publish(None, home)
    tick = timedelta(microseconds=1)
    assert floor_titles(live(home, T - tick)) == ["Always"]
    assert floor_titles(live(home, T)) == ["Always", "Noon"]
    assert floor_titles(live(home, T + timedelta(hours=1) - tick)) == ["Always", "Noon"]
    assert floor_titles(live(home, T + timedelta(hours=1))) == ["Always"]


def test_slot_windows_too(db, shop, home):
    grid = floors.add_floor(None, home, "product_grid", "Picks")
    floors.add_slot(None, grid, {"link_type": "product", "link_id": shop.p1.id})
    floors.add_slot(None, grid, {"link_type": "product", "link_id": shop.p2.id, "starts_at": T})
    publishing.publish(None, home)
    ids = lambda now: [i["link"]["id"] for f in live(home, now)["floors"] for i in f["items"]]  # noqa: E731
    assert ids(T - timedelta(seconds=1)) == [shop.p1.id]
    assert ids(T) == [shop.p1.id, shop.p2.id]


def test_products_off_the_shelf_drop_out_and_an_empty_floor_goes(db, shop, home):
    grid = floors.add_floor(None, home, "product_grid", "Picks")
    floors.add_slot(None, grid, {"link_type": "product", "link_id": shop.p1.id})
    floors.add_slot(None, grid, {"link_type": "product", "link_id": shop.off.id})
    publishing.publish(None, home)
    assert [i["link"]["id"] for i in live(home)["floors"][0]["items"]] == [shop.p1.id]
    assert live(home)["floors"][0]["items"][0]["link"]["price"] == "88.00"
    shelf.toggle(None, shop.p1)  # off the shelf now
    assert live(home)["floors"] == []


def test_top_sellers_come_from_paid_orders(db, shop, home):
    from plugins.inventory.services import create_warehouse, increase
    from plugins.orders.services import place
    from tests.plugins.orders.helpers import buyer, pay_in_full
    warehouse = create_warehouse(None, shop.m.id, {"code": f"CW{shop.m.id}", "name": "W", "regions": ("CN",),
                                                   "priority": 1, "address": "1 Road"})
    skus = {p.id: p.skus[0] for p in (shop.p1, shop.p2)}
    for sku in skus.values():
        increase(None, sku.id, warehouse.id, 50, "GRN")
    paid = place(None, "portal", buyer(), [(skus[shop.p2.id].id, 5)], "C-1").orders[0]
    pay_in_full(paid)
    place(None, "portal", buyer(), [(skus[shop.p1.id].id, 9)], "C-2")  # unpaid: does not count
    grid = floors.add_floor(None, home, "product_grid")
    floors.update_floor(None, grid, {"title": "Best", "rule": "top_sellers", "rule_category_id": shop.tea.id,
                                     "item_limit": 1})
    publishing.publish(None, home)
    assert sales_available(shop.m.id)
    floor = live(home, utcnow())["floors"][0]
    assert floor["source"] == "sales" and [i["link"]["id"] for i in floor["items"]] == [shop.p2.id]


def test_top_sellers_fall_back_to_the_newest_when_no_sales_are_kept(db, shop, home):
    grid = floors.add_floor(None, home, "product_grid")
    floors.update_floor(None, grid, {"title": "Best", "rule": "top_sellers", "rule_category_id": shop.tea.id,
                                     "item_limit": 5})
    publishing.publish(None, home)
    switch("orders", False)
    db.session.flush()
    try:
        assert not sales_available(shop.m.id)
        floor = live(home)["floors"][0]
        # the store's own products on the shelf in tea and below it, newest first; never another store's
        assert floor["source"] == "newest"
        assert {i["link"]["id"] for i in floor["items"]} == {shop.p1.id, shop.p2.id}
    finally:
        switch("orders", True)
        db.session.flush()


def test_campaign_pages_have_a_unique_slug_a_schedule_and_linked_products(db, shop):
    page = pages.create_campaign(None, shop.m.id, {"title": "Tea week", "slug": "tea-week", "starts_at": T,
                                                   "ends_at": T + timedelta(days=7)})
    with pytest.raises(ContentError, match="taken"):
        pages.create_campaign(None, shop.m.id, {"title": "Again", "slug": "tea-week"})
    with pytest.raises(ContentError, match="Slug"):
        pages.create_campaign(None, shop.m.id, {"title": "Bad", "slug": "Tea Week!"})
    # another store may use the same slug
    assert pages.create_campaign(None, shop.other.id, {"title": "Theirs", "slug": "tea-week"}).slug == "tea-week"
    pages.add_product(None, page, shop.p1.id)
    pages.add_product(None, page, shop.off.id)
    with pytest.raises(ContentError):
        pages.add_product(None, page, shop.theirs.id)
    publishing.publish(None, page)
    assert [p["id"] for p in live(page)["products"]] == [shop.p1.id]
    from plugins.content.services.pages import schedule_query
    running = db.session.execute(schedule_query("running", T)).scalars().all()
    upcoming = db.session.execute(schedule_query("upcoming", T - timedelta(seconds=1))).scalars().all()
    ended = db.session.execute(schedule_query("ended", T + timedelta(days=7))).scalars().all()
    assert page in running and page in upcoming and page in ended


def test_rollback_leaves_out_products_deleted_since(db, shop):
    page = pages.create_campaign(None, shop.m.id, {"title": "Tea", "slug": "tea"})
    pages.add_product(None, page, shop.p1.id)
    pages.add_product(None, page, shop.p2.id)
    v1 = publishing.publish(None, page)
    db.session.delete(shop.p2)
    db.session.flush()
    db.session.expire(page)  # the database removed the link with the product, as another request would see
    publishing.rollback(None, page, v1.id)
    db.session.flush()
    assert [p.product_id for p in page.products] == [shop.p1.id]
