"""The content pages through the client: the list, the editor's HTMX layout
work, publishing and rollback buttons, the preview, the schedule; another
store's page is 404, publishing without the grant is 403, and the plugin
switched off (for the platform or one store) is 404 with no menu entry."""
import pytest
from sqlalchemy import select

from plugins.content.models import Page
from plugins.content.services import floors, pages, publishing
from portal.models import AuditLog
from portal.plugins import kernel
from tests.plugins.content.conftest import png_upload

HX = {"HX-Request": "true"}


@pytest.fixture()
def home(db, shop):
    page = pages.ensure_homepage(None, shop.m.id)
    for title in ("First", "Second"):
        floor = floors.add_floor(None, page, "rich_text", title)
        floors.update_floor(None, floor, {"title": title, "body_html": f"<p>{title} text</p>"})
    db.session.commit()
    return page


def floor_order(client, page):
    html = client.get(f"/content/pages/{page.id}").get_data(as_text=True)
    return [part.split("<")[0] for part in html.split('data-testid="floor-title">')[1:]]


def test_the_list_and_opening_a_homepage(db, client, login_as, shop):
    login_as("merchant_admin", shop.m)
    assert "No pages yet." in client.get("/content/pages/").get_data(as_text=True)
    response = client.post("/content/pages/home", data={})
    page = db.session.execute(select(Page).where(Page.merchant_id == shop.m.id)).scalar_one()
    assert response.headers["Location"].endswith(f"/content/pages/{page.id}")
    rows = client.get("/content/pages/?q=homepage", headers=HX)
    assert rows.headers["Vary"].startswith("HX-Request") and f"page-row-{page.id}" in rows.get_data(as_text=True)
    assert "<html" not in rows.get_data(as_text=True)


def test_htmx_layout_work_add_reorder_duplicate_hide_edit(db, client, login_as, shop, home):
    login_as("merchant_staff", shop.m)
    first, second = home.floors
    answer = client.post(f"/content/floors/page/{home.id}/order", data={"order": f"{second.id},{first.id}"},
                         headers=HX)
    assert answer.status_code == 200 and answer.headers["Vary"].startswith("HX-Request")
    assert 'id="floors"' in answer.get_data(as_text=True) and "<html" not in answer.get_data(as_text=True)
    assert floor_order(client, home) == ["Second", "First"]
    client.post(f"/content/floors/{first.id}/move", data={"step": "-1"}, headers=HX)
    assert floor_order(client, home) == ["First", "Second"]
    client.post(f"/content/floors/page/{home.id}", data={"kind": "banner", "title": "Deals"}, headers=HX)
    assert floor_order(client, home) == ["First", "Second", "Deals"]
    client.post(f"/content/floors/{first.id}/duplicate", headers=HX)
    assert floor_order(client, home) == ["First", "First", "Second", "Deals"]
    hidden = client.post(f"/content/floors/{second.id}/hidden", data={"hidden": "1"}, headers=HX)
    assert "Hidden</span>" in hidden.get_data(as_text=True)
    form = client.get(f"/content/floors/{second.id}/edit", headers=HX).get_data(as_text=True)
    assert 'data-testid="floor-form"' in form
    client.post(f"/content/floors/{second.id}/edit", data={"title": "Renamed", "body_html": "<p>x</p>"}, headers=HX)
    assert "Renamed" in floor_order(client, home)
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "content.floor.reorder")).scalars().first()


def test_a_bad_edit_shows_the_message_in_place_and_changes_nothing(db, client, login_as, shop, home):
    login_as("merchant_staff", shop.m)
    answer = client.post(f"/content/floors/page/{home.id}/order", data={"order": "1,2,3,4"}, headers=HX)
    assert 'data-testid="floors-error"' in answer.get_data(as_text=True)
    banner = floors.add_floor(None, home, "banner")
    db.session.commit()
    answer = client.post(f"/content/floors/{banner.id}/slots", headers=HX, content_type="multipart/form-data",
                         data={"link_type": "product", "link_id": str(shop.p1.id),
                               "image": (png_upload().stream, "evil.png")})
    assert answer.status_code == 200 and "floors-error" not in answer.get_data(as_text=True)
    import io
    answer = client.post(f"/content/floors/{banner.id}/slots", headers=HX, content_type="multipart/form-data",
                         data={"link_type": "product", "link_id": str(shop.p1.id),
                               "image": (io.BytesIO(b"<svg onload=x>"), "evil.png")})
    assert "evil.png is not an allowed type" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Page, home.id).floors[-1].slots) == 1


def test_another_stores_pages_and_floors_are_404(db, client, login_as, shop, home):
    login_as("merchant_admin", shop.other)
    floor = home.floors[0]
    for method, url in (("get", f"/content/pages/{home.id}"), ("get", f"/content/pages/{home.id}/preview"),
                        ("get", f"/content/pages/{home.id}/clicks"), ("post", f"/content/pages/{home.id}/publish"),
                        ("post", f"/content/floors/{floor.id}/delete"), ("post", f"/content/floors/page/{home.id}")):
        assert getattr(client, method)(url).status_code == 404, url
    assert f"page-row-{home.id}" not in client.get("/content/pages/").get_data(as_text=True)


def test_publishing_needs_the_grant_and_rollback_works(db, client, login_as, shop, home):
    login_as("merchant_staff", shop.m)
    editor = client.get(f"/content/pages/{home.id}").get_data(as_text=True)
    assert 'data-testid="publish"' not in editor
    assert client.post(f"/content/pages/{home.id}/publish").status_code == 403
    client.post("/logout")
    login_as("merchant_admin", shop.m)
    client.post(f"/content/pages/{home.id}/publish", data={"note": "first"})
    floors.delete_floor(None, home.floors[0])
    db.session.commit()
    client.post(f"/content/pages/{home.id}/publish")
    first = publishing.versions(home)[-1]
    response = client.post(f"/content/pages/{home.id}/rollback/{first.id}", follow_redirects=True)
    assert "Version 1 is live again as version 3." in response.get_data(as_text=True)
    assert floor_order(client, home) == ["First", "Second"]


def test_preview_shows_the_draft_as_the_storefront_would(db, client, login_as, shop, home):
    publishing.publish(None, home)
    floors.set_hidden(None, home.floors[0], True)
    floors.add_floor(None, home, "rich_text", "Empty floor")  # no text: the storefront would skip it
    db.session.commit()
    login_as("merchant_staff", shop.m)
    draft = client.get(f"/content/pages/{home.id}/preview").get_data(as_text=True)
    assert "Second text" in draft and "First text" not in draft and "Empty floor" not in draft
    live = client.get(f"/content/pages/{home.id}/preview?version={home.live_version_id}").get_data(as_text=True)
    assert "First text" in live
    assert client.get(f"/content/pages/{home.id}/preview?at=yesterday").status_code == 200


def test_campaign_form_and_schedule(db, client, login_as, shop):
    login_as("platform_operator")
    response = client.post("/content/pages/new", data={"title": "Summer", "slug": "Summer!", "starts_at": ""})
    assert "Slug: use 2 to 80" in response.get_data(as_text=True)
    response = client.post("/content/pages/new", data={"title": "Summer", "slug": "summer",
                                                       "starts_at": "2030-06-01T00:00", "ends_at": "2030-06-10T00:00"})
    page = db.session.execute(select(Page).where(Page.slug == "summer")).scalar_one()
    assert page.merchant_id is None and page.starts_at.year == 2030
    upcoming = client.get("/content/schedule/?state=upcoming").get_data(as_text=True)
    assert f"schedule-row-{page.id}" in upcoming
    assert f"schedule-row-{page.id}" not in client.get("/content/schedule/?state=running").get_data(as_text=True)


def test_switched_off_pages_answer_404_and_leave_the_menu(db, client, login_as, shop, home):
    login_as("platform_admin")
    assert "/content/pages/" in client.get("/").get_data(as_text=True)
    kernel().set_enabled("content", False)
    db.session.commit()
    try:
        for url in ("/content/pages/", f"/content/pages/{home.id}", "/content/schedule/",
                    "/content/api/v1/home"):
            assert client.get(url).status_code == 404, url
        assert "/content/pages/" not in client.get("/").get_data(as_text=True)
    finally:
        kernel().set_enabled("content", True)
        db.session.commit()


def test_a_store_that_switched_content_off(db, client, login_as, shop, home):
    kernel().set_enabled("content", False, merchant_id=shop.m.id)
    db.session.commit()
    login_as("merchant_admin", shop.m)
    assert client.get(f"/content/pages/{home.id}").status_code == 404
    assert "/content/pages/" not in client.get("/").get_data(as_text=True)


def test_deleting_a_campaign_page_needs_manage(db, client, login_as, shop):
    page = pages.create_campaign(None, shop.m.id, {"title": "Gone soon", "slug": "gone-soon"})
    floors.update_floor(None, floors.add_floor(None, page, "rich_text"), {"body_html": "<p>x</p>"})
    publishing.publish(None, page)
    db.session.commit()
    login_as("merchant_staff", shop.m)
    assert client.post(f"/content/pages/{page.id}/delete").status_code == 403
    client.post("/logout")
    login_as("merchant_admin", shop.m)
    response = client.post(f"/content/pages/{page.id}/delete", follow_redirects=True)
    assert "Page deleted." in response.get_data(as_text=True)
    assert db.session.get(Page, page.id) is None
    assert client.get(f"/content/api/v1/stores/{shop.m.code}/campaigns/gone-soon").status_code == 404


def test_the_versions_list_is_paged(db, client, login_as, shop, home):
    for _ in range(22):
        publishing.publish(None, home)
    db.session.commit()
    login_as("merchant_admin", shop.m)
    first = client.get(f"/content/pages/{home.id}").get_data(as_text=True)
    assert 'data-testid="version-22"' in first and 'data-testid="version-2"' not in first
    second = client.get(f"/content/pages/{home.id}?page=2").get_data(as_text=True)
    assert 'data-testid="version-2"' in second and 'data-testid="version-22"' not in second
