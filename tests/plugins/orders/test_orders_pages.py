"""The order list and an order's page through the client: merchant scoping,
filters, each lifecycle action over HTMX, refusals shown in place with
nothing written, read-only users, and the plugin switched off."""
import pytest
from sqlalchemy import select

from plugins.orders.models import Order, OrderHistory, Payment
from plugins.orders.views import orders as orders_view
from tests.plugins.orders.helpers import count, history, order_in, place_one, state_of, switch

HX = {"HX-Request": "true"}


def _page(client, url, **kw):
    response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _post(client, order, action, data=None, headers=HX):
    return client.post(f"/orders/{order.id}/{action}", data=data or {}, headers=headers)


def _shown_state(html):
    marker = 'data-testid="order-state">'
    start = html.index(marker) + len(marker)
    return html[start:html.index("<", start)]


# -- the list -------------------------------------------------------------------

def test_merchant_staff_list_only_their_orders_and_another_merchants_is_404(db, client, login_as, store):
    mine = place_one(store, customer_ref="MINE-1")
    theirs = place_one(store, lines=[(store.x.id, 1)], customer_ref="THEIRS-1")
    login_as("merchant_staff", merchant=store.m)
    page = _page(client, "/orders/")
    assert mine.number in page and theirs.number not in page
    assert 'data-testid="filter-merchant"' not in page  # one merchant: nothing to choose
    assert mine.number in _page(client, f"/orders/{mine.id}")
    assert client.get(f"/orders/{theirs.id}").status_code == 404
    # nor can they act on it, nor does a merchant filter open it
    assert _post(client, theirs, "cancel").status_code == 404
    assert theirs.number not in _page(client, f"/orders/?merchant={store.other.id}")
    assert state_of(db, theirs) == "pending_payment"


def test_platform_staff_see_every_merchant_and_filter_by_one(db, client, login_as, store):
    mine = place_one(store)
    theirs = place_one(store, lines=[(store.x.id, 1)])
    login_as("platform_admin")
    page = _page(client, "/orders/")
    assert mine.number in page and theirs.number in page
    assert 'data-testid="filter-merchant"' in page
    page = _page(client, f"/orders/?merchant={store.other.id}")
    assert theirs.number in page and mine.number not in page


def test_filters_narrow_the_list_and_stay_in_the_pager(db, client, login_as, store, monkeypatch):
    unpaid = place_one(store, customer_ref="REF-UNPAID")
    paid = order_in(store, "pending_shipment", customer_ref="REF-PAID")
    shipped = order_in(store, "pending_receipt", customer_ref="REF-SHIPPED")
    login_as("platform_admin")
    page = _page(client, "/orders/?state=pending_shipment")
    assert paid.number in page and unpaid.number not in page and shipped.number not in page
    page = _page(client, f"/orders/?number={unpaid.number.lower()}")
    assert unpaid.number in page and paid.number not in page
    page = _page(client, f"/orders/?number={unpaid.number[:-1]}")  # a prefix
    assert unpaid.number in page
    tracking = shipped.shipments[0].tracking_number
    page = _page(client, f"/orders/?tracking={tracking}")
    assert shipped.number in page and paid.number not in page and tracking in page
    page = _page(client, "/orders/?buyer=REF-PAID")
    assert paid.number in page and unpaid.number not in page
    page = _page(client, f"/orders/?sku={store.x.code}")
    assert "No order matches these filters." in page
    assert unpaid.number in _page(client, f"/orders/?sku={store.a.code}")
    # placed today (in the user's time zone): found; a range in the past: not
    assert "No order matches" in _page(client, "/orders/?from=2001-01-01&to=2001-01-31")
    assert 'data-testid="filter-error"' in _page(client, "/orders/?from=yesterday")
    monkeypatch.setattr(orders_view, "PER_PAGE", 1)
    page = _page(client, f"/orders/?merchant={store.m.id}&state=pending_payment")
    assert unpaid.number in page
    # newest first, one per page: the pager's link keeps the filters
    page = _page(client, f"/orders/?merchant={store.m.id}")
    assert shipped.number in page and paid.number not in page
    assert f"merchant={store.m.id}" in page.split("Next")[0].rsplit("href=", 1)[1]


def test_empty_list_offers_a_new_order_to_those_who_may_write(db, client, login_as, factories):
    merchant = factories.merchant()
    login_as("merchant_staff", merchant=merchant)
    page = _page(client, "/orders/")
    assert "No orders yet." in page and 'href="/orders/new/"' in page


def test_finance_reads_orders_without_the_new_order_link_or_actions(db, client, login_as, store):
    order = place_one(store)
    login_as("finance")
    assert 'data-testid="new-order"' not in _page(client, "/orders/?number=NOTHING")
    page = _page(client, f"/orders/{order.id}")
    assert order.number in page and 'data-testid="order-actions"' not in page
    for action in ("payment", "ship", "receive", "cancel", "after-sales", "close"):
        assert _post(client, order, action, {"method": "cash", "amount": "20.00"}).status_code == 403, action
    assert state_of(db, order) == "pending_payment" and count(db, Payment) == 0


# -- the order's page and its actions -----------------------------------------------

def test_the_page_shows_buyer_lines_totals_and_history(db, client, login_as, store):
    order = place_one(store, customer_ref="CR-77")
    login_as("merchant_staff", merchant=store.m)
    page = _page(client, f"/orders/{order.id}")
    assert "Li Lei" in page and "CR-77" in page and "1 Keji Road" in page
    assert store.a.code in page and "20.00 CNY" in page
    assert _shown_state(page) == "Pending payment"
    assert store.sh.code in page  # the shipment's warehouse
    # what is owed is offered as the payment's amount
    assert 'name="amount" type="text" value="20.00"' in page
    assert 'data-testid="payment-form"' in page and 'data-testid="cancel-form"' in page
    assert 'data-testid="ship-form"' not in page


def test_each_action_over_htmx_moves_the_order_and_shows_it(db, client, login_as, store):
    order = place_one(store)
    login_as("merchant_admin", merchant=store.m)
    response = _post(client, order, "payment", {"method": "alipay", "amount": "20.00", "provider_ref": "AP-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert _shown_state(html) == "Pending shipment" and "AP-1" in html and 'data-testid="ship-form"' in html
    html = _post(client, order, "ship", {"carrier": "SF Express", "tracking_number": "SF123456"}).get_data(
        as_text=True)
    assert _shown_state(html) == "Pending receipt" and "SF123456" in html
    html = _post(client, order, "receive").get_data(as_text=True)
    assert _shown_state(html) == "Completed"
    html = _post(client, order, "after-sales", {"note": "Lid broken"}).get_data(as_text=True)
    assert _shown_state(html) == "After-sales" and "Lid broken" in html
    html = _post(client, order, "close", {"note": "Refunded the lid"}).get_data(as_text=True)
    assert _shown_state(html) == "Closed" and 'data-testid="order-actions"' not in html
    assert state_of(db, order) == "closed"
    assert [to for _, to in history(db, order)] == ["pending_payment", "pending_shipment", "pending_receipt",
                                                     "completed", "after_sales", "closed"]


def test_a_part_payment_keeps_the_order_waiting(db, client, login_as, store):
    order = place_one(store)
    login_as("merchant_staff", merchant=store.m)
    html = _post(client, order, "payment", {"method": "cash", "amount": "5"}).get_data(as_text=True)
    assert _shown_state(html) == "Pending payment" and 'value="15.00"' in html
    assert state_of(db, order) == "pending_payment"


def test_cancel_over_htmx_releases_the_order(db, client, login_as, store):
    order = place_one(store)
    login_as("merchant_staff", merchant=store.m)
    html = _post(client, order, "cancel", {"note": "Buyer changed mind"}).get_data(as_text=True)
    assert _shown_state(html) == "Cancelled" and "Buyer changed mind" in html
    assert state_of(db, order) == "cancelled"


def test_without_htmx_an_action_redirects_to_the_order(db, client, login_as, store):
    order = place_one(store)
    login_as("merchant_staff", merchant=store.m)
    response = _post(client, order, "payment", {"method": "cash", "amount": "20.00"}, headers={})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orders/{order.id}")
    page = _page(client, f"/orders/{order.id}")
    assert "Payment recorded." in page and _shown_state(page) == "Pending shipment"


@pytest.mark.parametrize("action, data, message", [
    ("ship", {"carrier": "SF Express", "tracking_number": ""}, "tracking_number: required."),
    ("receive", {}, "cannot go from pending shipment to completed"),
    ("payment", {"method": "cash", "amount": "1.00"}, "is not waiting for payment"),
])
def test_a_refused_action_shows_the_message_and_changes_nothing(db, client, login_as, store, action, data,
                                                                  message):
    order = order_in(store, "pending_shipment")
    login_as("merchant_staff", merchant=store.m)
    before = (count(db, OrderHistory), count(db, Payment))
    response = _post(client, order, action, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="action-error"' in html and message in html
    assert _shown_state(html) == "Pending shipment"
    assert state_of(db, order) == "pending_shipment" and (count(db, OrderHistory), count(db, Payment)) == before


def test_cancelling_a_paid_order_needs_the_refund_permission(db, client, login_as, store):
    order = order_in(store, "pending_shipment")
    login_as("merchant_staff", merchant=store.m)  # orders.refund: read
    html = _post(client, order, "cancel", {"note": "no"}).get_data(as_text=True)
    assert 'data-testid="action-error"' in html and "orders.refund" in html
    assert state_of(db, order) == "pending_shipment"
    assert db.session.execute(select(Payment.kind).where(Payment.order_id == order.id)).scalars().all() == [
        "payment"]


def test_merchant_staff_are_not_offered_to_close_an_after_sales_case(db, client, login_as, store):
    order = order_in(store, "after_sales")
    login_as("merchant_staff", merchant=store.m)
    assert 'data-testid="close-form"' not in _page(client, f"/orders/{order.id}")
    html = _post(client, order, "close").get_data(as_text=True)
    assert 'data-testid="action-error"' in html and state_of(db, order) == "after_sales"


# -- the plugin switched off --------------------------------------------------------

def test_switched_off_pages_answer_404_and_leave_the_menu(db, client, login_as, store):
    order = place_one(store)
    login_as("platform_admin")
    assert 'href="/orders/"' in _page(client, "/")
    switch("orders", False)
    db.session.flush()
    try:
        for url in ("/orders/", f"/orders/{order.id}"):
            assert client.get(url).status_code == 404, url
        assert _post(client, order, "cancel").status_code == 404
        assert 'href="/orders/"' not in _page(client, "/")
    finally:
        switch("orders", True)
    assert db.session.get(Order, order.id).state == "pending_payment"
