"""A floor's entries edited in place, and their link targets picked by name:
through the services (the same checks as adding, the image kept unless a new
one is given, a refusal changes nothing) and through the client (the form in
place of the row, suggestions limited to what the page may link to, another
store's entry 404)."""
import pytest
from sqlalchemy import select

from plugins.content.models import Slot
from plugins.content.services import ContentError, floors, pages
from portal.models import AuditLog
from tests.plugins.content.conftest import png_upload

HX = {"HX-Request": "true"}


@pytest.fixture()
def home(db, shop):
    return pages.ensure_homepage(None, shop.m.id)


@pytest.fixture()
def banner(db, shop, home):
    floor = floors.add_floor(None, home, "banner", "Deals")
    floors.add_slot(None, floor, {"link_type": "product", "link_id": shop.p1.id, "title": "Longjing"}, png_upload())
    db.session.commit()
    return floor


def test_an_entry_is_changed_in_place_and_keeps_its_image(db, shop, banner):
    [slot] = banner.slots
    image = slot.image_id
    floors.update_slot(None, slot, {"link_type": "category", "link_id": str(shop.green.id), "title": "Green teas"})
    db.session.commit()
    db.session.expire_all()
    slot = db.session.get(Slot, slot.id)
    assert (slot.link_type, slot.link_id, slot.title, slot.image_id) == ("category", shop.green.id, "Green teas", image)
    floors.update_slot(None, slot, {"link_type": "category", "link_id": str(shop.green.id)},
                       png_upload("new.png", size=(60, 30)))
    assert slot.image_id != image
    assert db.session.execute(select(AuditLog.action).where(AuditLog.action == "content.floor.slot.edit")).first()


@pytest.mark.parametrize("fields, message", [
    ({"link_type": "product", "link_id": "theirs"}, "product"),
    ({"link_type": "brand", "link_id": "0"}, "Brand"),
    ({"link_type": "url", "url": "javascript:alert(1)"}, "Web address"),
    ({"link_type": "category", "link_id": "green", "starts_at": "2026-02-01T00:00", "ends_at": "2026-01-01T00:00"},
     "End"),
])
def test_a_refused_edit_names_the_field_and_changes_nothing(db, shop, banner, fields, message):
    [slot] = banner.slots
    values = {k: {"theirs": shop.theirs.id, "green": shop.green.id}.get(v, v) for k, v in fields.items()}
    if "starts_at" in values:
        from datetime import datetime
        values["starts_at"], values["ends_at"] = (datetime.fromisoformat(values[k]) for k in ("starts_at", "ends_at"))
    with pytest.raises(ContentError, match=message):
        floors.update_slot(None, slot, values)
    db.session.rollback()
    slot = db.session.get(Slot, slot.id)
    assert (slot.link_type, slot.link_id, slot.title) == ("product", shop.p1.id, "Longjing")


def test_targets_offered_are_those_the_page_may_link_to(db, shop, home):
    store_products = dict(floors.link_targets(home, "product", "long"))
    assert shop.p1.id in store_products and "Longjing" in store_products[shop.p1.id]
    assert shop.theirs.id not in dict(floors.link_targets(home, "product", ""))  # another store's product
    assert dict(floors.link_targets(home, "product", str(shop.p2.id))).keys() == {shop.p2.id}
    platform = pages.ensure_homepage(None, None)
    assert shop.theirs.id in dict(floors.link_targets(platform, "product", "Puer"))
    assert dict(floors.link_targets(home, "category", "绿")) == {shop.green.id: "Green tea / 绿茶"}
    assert shop.brand.id in dict(floors.link_targets(home, "brand", "leaf"))
    theirs = pages.create_campaign(None, shop.other.id, {"title": "Their sale", "slug": "their-sale"})
    ours = pages.create_campaign(None, shop.m.id, {"title": "Spring sale", "slug": "spring"})
    campaigns = dict(floors.link_targets(home, "campaign", "sale"))
    assert ours.id in campaigns and theirs.id not in campaigns
    assert floors.link_targets(home, "url", "x") == [] and floors.link_targets(home, "nonsense", "") == []
    assert floors.link_targets(home, "category", "100%_") == []  # wildcards are literal


def test_the_edit_form_replaces_the_row_and_saves(db, client, login_as, shop, home, banner):
    [slot] = banner.slots
    login_as("merchant_staff", shop.m)
    form = client.get(f"/content/floors/slots/{slot.id}/edit", headers=HX).get_data(as_text=True)
    assert 'data-testid="edit-slot-form"' in form and 'value="Longjing"' in form and f'value="{shop.p1.id}"' in form
    answer = client.post(f"/content/floors/slots/{slot.id}/edit", headers=HX, content_type="multipart/form-data",
                         data={"link_type": "product", "link_id": str(shop.p2.id), "title": "Biluochun"})
    page = answer.get_data(as_text=True)
    assert "floors-error" not in page and "edit-slot-form" not in page and "Biluochun" in page
    refused = client.post(f"/content/floors/slots/{slot.id}/edit", headers=HX, content_type="multipart/form-data",
                          data={"link_type": "product", "link_id": str(shop.theirs.id), "title": "Puer"})
    page = refused.get_data(as_text=True)
    assert 'data-testid="floors-error"' in page and "does not exist in this store" in page
    assert 'data-testid="edit-slot-form"' in page  # the form stays open to be corrected
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).title == "Biluochun"


def test_suggestions_and_another_stores_entry(db, client, login_as, shop, home, banner):
    [slot] = banner.slots
    login_as("merchant_staff", shop.m)
    options = client.get(f"/content/floors/{banner.id}/targets?link_type=product&link_id=long", headers=HX)
    assert options.status_code == 200 and f'<option value="{shop.p1.id}">Longjing' in options.get_data(as_text=True)
    assert "Puer" not in client.get(f"/content/floors/{banner.id}/targets?link_type=product").get_data(as_text=True)
    login_as("merchant_admin", shop.other)
    assert client.get(f"/content/floors/slots/{slot.id}/edit", headers=HX).status_code == 404
    assert client.post(f"/content/floors/slots/{slot.id}/edit", data={"title": "x"}).status_code == 404
    assert client.get(f"/content/floors/{banner.id}/targets?link_type=product").status_code == 404
