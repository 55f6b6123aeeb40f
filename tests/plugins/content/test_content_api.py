"""The storefront API: published pages as cacheable JSON (ETag, 304,
Cache-Control), never a draft; products off the shelf drop out at once; a
store that switched content off answers 404; the event endpoint counts only
the published page's slots and refuses anything else whole."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plugins.catalog.services import shelf
from plugins.content.models import SlotStat
from plugins.content.services import floors, pages, publishing
from portal.models import utcnow
from portal.plugins import kernel
from tests.conftest import create_user


@pytest.fixture()
def published(db, shop):
    """m's homepage: a product grid (p1, p2) and a text floor, published."""
    home = pages.ensure_homepage(None, shop.m.id)
    grid = floors.add_floor(None, home, "product_grid", "Picks")
    floors.add_slot(None, grid, {"link_type": "product", "link_id": shop.p1.id})
    floors.add_slot(None, grid, {"link_type": "product", "link_id": shop.p2.id})
    text = floors.add_floor(None, home, "rich_text", "Hello")
    floors.update_floor(None, text, {"title": "Hello", "body_html": "<p>Hi</p>"})
    publishing.publish(None, home)
    db.session.commit()
    return home


def url(shop):
    return f"/content/api/v1/stores/{shop.m.code}/home"


def test_published_homepage_with_etag_and_304(client, shop, published):
    response = client.get(url(shop))
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert [f["title"] for f in body["floors"]] == ["Picks", "Hello"]
    assert [i["link"]["id"] for i in body["floors"][0]["items"]] == [shop.p1.id, shop.p2.id]
    etag = response.headers["ETag"]
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(url(shop), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(url(shop), headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_draft_is_not_served_and_publishing_changes_the_etag(db, client, shop, published):
    first = client.get(url(shop))
    floors.add_floor(None, published, "rich_text", "Draft only")
    db.session.commit()
    assert client.get(url(shop)).headers["ETag"] == first.headers["ETag"]
    assert "Draft only" not in client.get(url(shop)).get_data(as_text=True)
    text = published.floors[-1]
    floors.update_floor(None, text, {"title": "Draft only", "body_html": "<p>new</p>"})
    publishing.publish(None, published)
    db.session.commit()
    second = client.get(url(shop))
    assert second.headers["ETag"] != first.headers["ETag"] and "Draft only" in second.get_data(as_text=True)


def test_a_product_taken_off_the_shelf_drops_out_at_once(db, client, shop, published):
    assert client.get(url(shop)).status_code == 200  # cached now
    shelf.toggle(None, shop.p1)
    db.session.commit()
    items = client.get(url(shop)).get_json()["floors"][0]["items"]
    assert [i["link"]["id"] for i in items] == [shop.p2.id]


def test_unpublished_unknown_and_switched_off_stores_answer_404(db, client, shop, published):
    assert client.get(f"/content/api/v1/stores/{shop.other.code}/home").status_code == 404
    assert client.get("/content/api/v1/stores/NO-SUCH-STORE/home").status_code == 404
    pages.ensure_homepage(None, shop.other.id)  # a draft, never published
    db.session.commit()
    assert client.get(f"/content/api/v1/stores/{shop.other.code}/home").status_code == 404
    kernel().set_enabled("content", False, merchant_id=shop.m.id)
    db.session.commit()
    assert client.get(url(shop)).status_code == 404


def test_campaign_pages_only_while_they_run(db, client, shop):
    now = utcnow()
    page = pages.create_campaign(None, None, {"title": "Later", "slug": "later", "starts_at": now + timedelta(days=1)})
    floors.update_floor(None, floors.add_floor(None, page, "rich_text"), {"body_html": "<p>x</p>"})
    publishing.publish(None, page)
    db.session.commit()
    assert client.get("/content/api/v1/campaigns/later").status_code == 404
    pages.update_page(None, page, {"title": "Now", "slug": "later", "starts_at": now - timedelta(days=1)})
    db.session.commit()
    response = client.get("/content/api/v1/campaigns/later")
    assert response.status_code == 200 and response.get_json()["page"]["title"] == "Later"  # the published title


def events(client, page_id, body, **kw):
    return client.post(f"/content/api/v1/pages/{page_id}/events", data=json.dumps(body),
                       content_type=kw.pop("content_type", "application/json"), **kw)


def counts(db, page):
    return dict(((r.floor_key, r.slot_key), (r.impressions, r.clicks)) for r in
                db.session.execute(select(SlotStat).where(SlotStat.page_id == page.id)).scalars())


def test_events_count_impressions_and_clicks_per_slot(db, client, shop, published):
    grid = published.floors[0]
    slot = grid.slots[0].key
    body = {"events": [{"floor": grid.key, "slot": slot, "type": "impression"},
                       {"floor": grid.key, "slot": slot, "type": "impression"},
                       {"floor": grid.key, "slot": slot, "type": "click"}]}
    assert events(client, published.id, body).get_json() == {"counted": 3}
    assert events(client, published.id, body, content_type="text/plain").status_code == 200  # sendBeacon
    assert counts(db, published) == {(grid.key, slot): (4, 2)}


def test_events_refuse_draft_keys_bad_input_and_big_bodies_whole(db, client, shop, published):
    grid = published.floors[0]
    ok = {"floor": grid.key, "slot": grid.slots[0].key, "type": "click"}
    draft_floor = floors.add_floor(None, published, "banner", "Not yet")
    db.session.commit()
    bad = [
        {"events": [ok, {"floor": draft_floor.key, "type": "click"}]},  # a draft's floor
        {"events": [ok, {"floor": grid.key, "slot": "zzz", "type": "click"}]},
        {"events": [ok, {"floor": grid.key, "type": "purchase"}]},
        {"events": [ok] * 51},
        {"events": []},
        {"events": "lots"},
        [1, 2],
    ]
    for body in bad:
        response = events(client, published.id, body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]
    assert client.post(f"/content/api/v1/pages/{published.id}/events", data="{not json",
                       content_type="application/json").status_code == 400
    assert events(client, published.id, {"events": [ok], "pad": "x" * 9000}).status_code == 413
    draft_page = pages.create_campaign(None, None, {"title": "Draft", "slug": "draft"})
    db.session.commit()
    assert events(client, draft_page.id, {"events": [ok]}).status_code == 404
    assert counts(db, published) == {}


def test_events_are_limited_per_address(client, shop, published, app):
    from plugins.content import api
    ok = {"events": [{"floor": published.floors[0].key, "type": "impression"}]}
    app.extensions.pop("content.event_counter", None)
    try:
        statuses = [events(client, published.id, ok, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
                    for _ in range(api.CALLS_PER_MINUTE + 1)]
    finally:
        app.extensions.pop("content.event_counter", None)
    assert statuses[:-1] == [200] * api.CALLS_PER_MINUTE and statuses[-1] == 429


def test_slot_images_are_public_but_no_other_stored_file_is(db, client, shop, published):
    from tests.plugins.content.conftest import png_upload
    from portal import uploads
    banner = floors.add_floor(None, published, "banner")
    slot = floors.add_slot(None, banner, {"link_type": "product", "link_id": shop.p1.id}, png_upload())
    publishing.publish(None, published)
    other = uploads.store_upload(png_upload("logo.png", (10, 10)), "catalog.logo")
    db.session.commit()
    served = client.get(url(shop)).get_json()["floors"][-1]["items"][0]["image"]
    assert served == f"/content/api/v1/images/{slot.image.sha256}"
    assert client.get(f"/content/api/v1/images/{slot.image_id}").status_code == 404  # ids are not addresses
    response = client.get(served)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert client.get(f"/content/api/v1/images/{other.sha256}").status_code == 404
    assert db.session.execute(select(func.count()).select_from(SlotStat)).scalar() == 0


def test_the_clicks_page_shows_each_floors_clicks(db, client, login, shop, published):
    grid = published.floors[0]
    events(client, published.id, {"events": [{"floor": grid.key, "slot": grid.slots[0].key, "type": "click"}] * 7})
    login(create_user("merchant_admin", shop.m))
    page = client.get(f"/content/pages/{published.id}/clicks").get_data(as_text=True)
    row = page.split(f'data-testid="clicks-floor-{grid.key}"')[1].split("</tr>")[0]
    assert '<td class="text-right" data-testid="floor-clicks">7</td>' in row


def test_products_carry_their_first_image_served_while_on_the_shelf(db, client, shop, published):
    from plugins.catalog.services import images
    from tests.plugins.content.conftest import png_upload
    first = images.add_image(None, shop.p1, png_upload("front.png", (30, 30)))
    images.add_image(None, shop.p1, png_upload("back.png", (31, 30)))
    db.session.commit()
    items = client.get(url(shop)).get_json()["floors"][0]["items"]
    address = f"/content/api/v1/images/{first.file.sha256}"
    assert [item["image"] for item in items] == [address, None]  # p2 has no image
    assert items[0]["link"]["image"] == address
    assert client.get(address).status_code == 200
    shelf.take_off_shelf(None, shop.p1)
    db.session.commit()
    assert client.get(address).status_code == 404  # off the shelf, its images are no longer public
