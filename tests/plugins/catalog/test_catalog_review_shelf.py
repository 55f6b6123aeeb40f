"""Review and shelf status: who approves, what needs review, listing rules,
bulk actions, scheduled listing and the events published."""
from datetime import timedelta

import pytest

from plugins.catalog.events import ProductDelisted, ProductListed
from plugins.catalog.services import CatalogError, products, review, shelf, skus
from portal.access import AccessDenied
from portal.models import DataGrant, Role, RoleGrant, utcnow
from tests.conftest import create_merchant, create_user


@pytest.fixture()
def events(monkeypatch):
    seen = []
    monkeypatch.setattr(shelf, "publish", seen.append)
    return seen


def test_without_review_a_new_product_is_approved_and_can_be_listed(lib, make_product, events):
    staff = create_user("merchant_staff", create_merchant())
    product = make_product(staff.merchant, actor=staff)
    assert product.review_status == "approved"
    assert shelf.put_on_shelf(staff, product) is True
    assert product.shelf_status == "on" and product.listed_at is not None
    assert events == [ProductListed(product.id, product.merchant_id, False)]
    assert shelf.put_on_shelf(staff, product) is False  # already on
    assert shelf.take_off_shelf(staff, product) is True
    assert events[-1] == ProductDelisted(product.id, product.merchant_id, "manual")


def test_with_review_on_a_merchants_product_waits_and_cannot_be_listed(lib, make_product, review_on, events):
    staff = create_user("merchant_staff", create_merchant())
    product = make_product(staff.merchant, actor=staff)
    assert product.review_status == "pending"
    with pytest.raises(CatalogError, match="only approved products go on the shelf"):
        shelf.put_on_shelf(staff, product)
    operator = create_user("platform_operator")
    review.approve(operator, product)
    assert (product.review_status, product.reviewed_by_id) == ("approved", operator.id)
    shelf.put_on_shelf(staff, product)
    assert product.shelf_status == "on"


def test_a_rejection_needs_a_reason_the_merchant_sees_and_a_change_resubmits(lib, make_product, review_on):
    staff = create_user("merchant_staff", create_merchant())
    product = make_product(staff.merchant, actor=staff)
    operator = create_user("platform_operator")
    with pytest.raises(CatalogError, match="Reason: required"):
        review.reject(operator, product, "  ")
    review.reject(operator, product, "The photos show another brand.")
    assert (product.review_status, product.review_reason) == ("rejected", "The photos show another brand.")
    with pytest.raises(CatalogError, match="not waiting for review"):
        review.approve(operator, product)
    products.update_product(staff, product, {"title_en": "Fixed title", "category_id": lib.shirts.id})
    assert (product.review_status, product.review_reason) == ("pending", "")


def test_changing_a_listed_product_takes_it_off_the_shelf_until_approved(lib, make_product, review_on, events):
    staff = create_user("merchant_staff", create_merchant())
    product = make_product(staff.merchant)  # made by the system: approved
    shelf.put_on_shelf(staff, product)
    products.update_product(staff, product, {"title_en": "New title", "category_id": lib.shirts.id})
    assert (product.review_status, product.shelf_status) == ("pending", "off")
    assert events[-1] == ProductDelisted(product.id, product.merchant_id, "review")


def test_an_unchanged_save_and_a_price_edit_need_no_review(lib, make_product, review_on):
    staff = create_user("merchant_staff", create_merchant())
    product = make_product(staff.merchant, title_en="Same", title_zh="")
    shelf.put_on_shelf(staff, product)
    products.update_product(staff, product, {"title_en": "Same", "category_id": lib.shirts.id,
                                             "brand_id": str(lib.brand.id)})
    skus.update_price(staff, product.skus[0], "88")
    assert (product.review_status, product.shelf_status) == ("approved", "on")


def test_platform_reviewers_changes_are_approved_at_once(lib, make_product, review_on):
    operator = create_user("platform_operator")
    merchant = create_merchant()
    product = make_product(merchant, actor=operator)
    assert product.review_status == "approved"
    products.update_product(operator, product, {"title_en": "Edited by the platform", "category_id": lib.shirts.id})
    assert product.review_status == "approved"


def test_merchants_never_review_even_with_a_grant(lib, make_product, review_on, db):
    merchant = create_merchant()
    role = Role(name="Self reviewer", kind="merchant", merchant_id=merchant.id)
    role.grants.append(RoleGrant(resource="catalog.review", level=3))
    role.grants.append(RoleGrant(resource="catalog.product", level=3))
    role.data_grants.append(DataGrant(scope="merchant", value="@own", level=3))
    db.session.add(role)
    db.session.flush()
    cheeky = create_user(role, merchant)
    product = make_product(merchant, actor=cheeky)
    assert product.review_status == "pending"
    with pytest.raises(AccessDenied, match="Only platform staff"):
        review.approve(cheeky, product)
    with pytest.raises(AccessDenied):
        review.approve(create_user("finance"), product)


def test_bulk_lists_what_it_can_and_reports_the_rest(lib, make_product, review_on, events):
    merchant, other = create_merchant(), create_merchant()
    staff = create_user("merchant_staff", merchant)
    ready = make_product(merchant, prefix="A")
    waiting = make_product(merchant, actor=staff, prefix="B")
    foreign = make_product(other, prefix="C")
    result = shelf.bulk(staff, [ready.id, waiting.id, foreign.id], "on")
    assert result.done == [ready]
    assert [(p, "only approved" in why) for p, why in result.skipped] == [(waiting, True)]
    assert foreign.shelf_status == "off"  # outside the scope: as if it did not exist
    result = shelf.bulk(staff, [ready.id], "on")
    assert result.skipped[0][1].endswith("already on the shelf.")
    assert [p.id for p in shelf.bulk(staff, [str(ready.id)], "off").done] == [ready.id]
    with pytest.raises(CatalogError, match="tick at least one"):
        shelf.bulk(staff, [], "on")
    with pytest.raises(CatalogError, match="Action"):
        shelf.bulk(staff, [ready.id], "sideways")


def test_scheduling_needs_a_future_time(lib, make_product):
    product = make_product(create_merchant())
    with pytest.raises(CatalogError, match="must be in the future"):
        shelf.schedule(None, product, utcnow() - timedelta(minutes=1))
    shelf.schedule(None, product, utcnow() + timedelta(hours=1))
    assert product.scheduled_on_at is not None
    shelf.schedule(None, product, None)
    assert product.scheduled_on_at is None


def test_the_job_lists_due_approved_products_only(lib, make_product, review_on, events):
    merchant = create_merchant()
    staff = create_user("merchant_staff", merchant)
    due = make_product(merchant, prefix="DUE")
    later = make_product(merchant, prefix="LATER")
    unapproved = make_product(merchant, actor=staff, prefix="WAIT")
    soon = utcnow() + timedelta(minutes=5)
    for product in (due, later, unapproved):
        shelf.schedule(staff, product, soon)
    later.scheduled_on_at = soon + timedelta(days=1)
    message = shelf.run_scheduled(now=soon + timedelta(seconds=1))
    assert message == "listed 1 product(s)"
    assert (due.shelf_status, due.scheduled_on_at) == ("on", None)
    assert later.shelf_status == "off" and unapproved.shelf_status == "off"
    assert events == [ProductListed(due.id, merchant.id, True)]
    review.approve(create_user("platform_operator"), unapproved)
    shelf.run_scheduled(now=soon + timedelta(seconds=2))
    assert unapproved.shelf_status == "on"


def test_a_refused_listing_in_the_job_does_not_hold_back_the_others(lib, make_product, monkeypatch):
    from portal.events import EventRejected
    merchant = create_merchant()
    first, second = make_product(merchant, prefix="F1"), make_product(merchant, prefix="F2")
    soon = utcnow() + timedelta(minutes=1)
    for product in (first, second):
        shelf.schedule(None, product, soon)

    def publish(event):
        if event.product_id == first.id:
            raise EventRejected("the channel refuses it")
    monkeypatch.setattr(shelf, "publish", publish)
    message = shelf.run_scheduled(now=soon + timedelta(seconds=1))
    assert "listed 1 product(s)" in message and "the channel refuses it" in message
    assert (first.shelf_status, second.shelf_status) == ("off", "on")


def test_the_setting_and_the_job_are_registered(app):
    assert app.extensions["portal.settings"]["catalog.review_required"].default is False
    assert "catalog.scheduled_listing" in app.extensions["portal.jobs"]


def test_built_in_roles_get_the_catalog_defaults(db):
    from portal import access
    from tests.conftest import create_user
    levels = {}
    for role in ("platform_operator", "finance", "merchant_admin", "merchant_staff"):
        user = create_user(role, create_merchant() if role.startswith("merchant") else None)
        levels[role] = tuple(access.level_name(access.access(user).level(r))
                             for r in ("catalog.product", "catalog.review", "catalog.library"))
    assert levels == {"platform_operator": ("write", "manage", "manage"), "finance": ("read", "none", "none"),
                      "merchant_admin": ("manage", "none", "read"), "merchant_staff": ("write", "none", "read")}


def test_a_listing_refused_by_another_plugin_changes_nothing(client, login_as, lib, make_product, monkeypatch, db):
    from portal.events import EventRejected
    merchant = create_merchant()
    product = make_product(merchant, prefix="EV")
    login_as("merchant_staff", merchant)

    def refuse(event):
        raise EventRejected("The sales channel is closed for maintenance.")
    monkeypatch.setattr(shelf, "publish", refuse)
    r = client.post(f"/catalog/products/{product.id}/shelf", follow_redirects=True)
    assert "The sales channel is closed for maintenance." in r.get_data(as_text=True)
    db.session.expire_all()
    assert product.shelf_status == "off" and product.listed_at is None
