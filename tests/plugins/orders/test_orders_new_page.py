"""The staff order form at /orders/new/: it renders, prices the lines live
(per merchant, with adjustments and each line's sellable units), places the
order and redirects to it, and refuses what cannot be sold with the message
by the line and everything typed kept."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.orders.models import Checkout, Order
from plugins.orders.services import Adjustment
from portal.plugins import kernel
from tests.plugins.orders.helpers import BUYER, count, make_sku

URL = "/orders/new/"
HX = {"HX-Request": "true"}
DEPENDENTS = ("fakepromo", "fakewatch")


@pytest.fixture(scope="session")
def app(fakes_app):
    # the fake pricing plugin lets a test show adjustments on the quote
    return fakes_app


@pytest.fixture()
def shop(db, store, fakes):
    # the requests below roll back on refusals: the store must be there afterwards
    db.session.commit()
    return store


def form(*lines, region="CN-GD", customer_ref="", **buyer):
    """The posted form: buyer fields, then one row per ``(code, qty)``."""
    data = {**BUYER, "region": region, "customer_ref": customer_ref, **buyer}
    data["row"] = [f"r{i}" for i in range(len(lines))]
    data["sku_code"] = [code for code, _qty in lines]
    data["qty"] = [str(qty) for _code, qty in lines]
    return data


def text_of(response):
    return response.get_data(as_text=True)


def notes(page):
    """``{row key: note text}`` of the rows' notes in a response."""
    return {key: re.sub(r"<[^>]+>", "", body).strip() for key, body in re.findall(
        r'<div id="line-note-(\w+)"[^>]*>(.*?)</div>', page, re.S)}


def orders_count(db):
    return count(db, Order)


def test_form_renders_for_a_merchant_admin(client, login_as, shop):
    login_as("merchant_admin", merchant=shop.m)
    response = client.get(URL)
    page = text_of(response)
    assert response.status_code == 200
    assert 'data-testid="new-order-form"' in page and 'name="sku_code"' in page and 'name="region"' in page
    assert 'hx-post="/orders/new/quote"' in page and "X-CSRFToken" in page
    assert "Place the order" in page and "Add a line" in page


def test_add_and_remove_line_partials(client, login_as, shop):
    login_as("merchant_staff", merchant=shop.m)
    row = text_of(client.get(URL + "line", headers=HX))
    assert row.lstrip().startswith('<tr class="order-line"') and 'name="sku_code"' in row and "<html" not in row
    removed = client.get(URL + "line/removed", headers=HX)
    assert removed.status_code == 200 and text_of(removed) == ""
    assert removed.headers["HX-Trigger"] == "orders-lines-changed"


def test_quote_shows_prices_adjustments_totals_and_sellable(db, client, login_as, shop, fakes):
    fakes.price = lambda draft: [Adjustment("fakepromo", "discount", "Spring sale", Decimal("-1.50"))]
    login_as("merchant_staff", merchant=shop.m)
    response = client.post(URL + "quote", data=form((shop.a.code, 3), (shop.b.code, "2")), headers=HX)
    page = text_of(response)
    assert response.status_code == 200 and "<html" not in page
    assert re.findall(r'data-testid="unit-price">([^<]+)<', page) == ["10.00", "10.00"]
    assert re.findall(r'data-testid="line-total">([^<]+)<', page) == ["30.00", "20.00"]
    assert 'data-testid="subtotal">50.00<' in page
    assert "fakepromo: Spring sale" in page and ">-1.50<" in page
    assert 'data-testid="total">CNY 48.50<' in page
    # sellable units swapped into each row out of band: a 10 in sh; b 5 in sh + 5 in hub
    assert notes(page) == {"r0": "10 sellable", "r1": "10 sellable"}
    assert page.count('hx-swap-oob="true"') == 2
    assert orders_count(db) == 0


def test_quote_names_an_unknown_code_by_its_row_keeping_the_rest(client, login_as, shop):
    login_as("merchant_staff", merchant=shop.m)
    page = text_of(client.post(URL + "quote", data=form((shop.a.code, 1), ("NOPE-1", 2)), headers=HX))
    assert notes(page)["r1"] == "SKU NOPE-1 does not exist."
    assert notes(page)["r0"] == "10 sellable"
    assert 'data-testid="quote-error"' in page and "see the messages by them" in page


def test_quote_shows_the_services_message_for_a_bad_quantity_and_an_off_shelf_sku(db, client, login_as, shop):
    off = make_sku(db, shop.m, on_shelf=False)
    db.session.commit()
    login_as("merchant_staff", merchant=shop.m)
    page = text_of(client.post(URL + "quote", data=form((shop.a.code, "1.5")), headers=HX))
    assert "the quantity &#39;1.5&#39; is not a whole number above zero." in notes(page)["r0"]
    assert "Line 1:" in page
    page = text_of(client.post(URL + "quote", data=form((shop.a.code, 1), (off.code, 1)), headers=HX))
    assert notes(page)["r1"] == f"SKU {off.code} is not on sale (off the shelf or inactive)."


def test_quote_splits_per_merchant_for_platform_staff(client, login_as, shop):
    login_as("platform_operator")
    page = text_of(client.post(URL + "quote", data=form((shop.a.code, 1), (shop.x.code, 2)), headers=HX))
    assert page.count('data-testid="quote-merchant"') == 2
    assert f"Order for {shop.m.code}" in page and f"Order for {shop.other.code}" in page
    assert 'data-testid="total">CNY 10.00<' in page and 'data-testid="total">CNY 51.00<' in page
    assert "2 orders, together CNY 61.00" in page


def test_placing_creates_the_order_and_redirects_to_it(db, client, login_as, shop):
    login_as("merchant_staff", merchant=shop.m)
    response = client.post(URL, data=form((shop.a.code, 2), customer_ref="TB-778"))
    assert response.status_code == 302
    order = db.session.execute(select(Order).order_by(Order.id.desc())).scalars().first()
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    assert order.merchant_id == shop.m.id and order.total == Decimal("20.00")
    assert [(line.sku_code, line.qty) for line in order.lines] == [(shop.a.code, 2)]
    assert order.checkout.customer_ref == "TB-778" and order.checkout.channel == "portal"
    assert order.checkout.buyer_name == BUYER["name"] and order.checkout.ship_region == "CN-GD"
    with client.session_transaction() as session:
        assert any(order.number in message for _category, message in session["_flashes"])


def test_platform_staff_order_two_merchants_and_get_one_order_each(db, client, login_as, shop):
    login_as("platform_operator")
    before = orders_count(db)
    response = client.post(URL, data=form((shop.a.code, 1), (shop.x.code, 1)))
    assert response.status_code == 302
    checkout = db.session.execute(select(Checkout).order_by(Checkout.id.desc())).scalars().first()
    assert sorted(o.merchant_id for o in checkout.orders) == sorted([shop.m.id, shop.other.id])
    assert orders_count(db) == before + 2
    first = min(checkout.orders, key=lambda o: o.merchant_id)
    assert response.headers["Location"].endswith(f"/orders/{first.id}")
    with client.session_transaction() as session:
        flashed = " ".join(message for _category, message in session["_flashes"])
    assert all(o.number in flashed for o in checkout.orders)


def test_out_of_stock_is_refused_with_the_message_and_nothing_is_created(db, client, login_as, shop):
    login_as("merchant_staff", merchant=shop.m)
    before = orders_count(db)
    response = client.post(URL, data=form((shop.b.code, 1), (shop.a.code, 11), customer_ref="TB-9"))
    page = text_of(response)
    assert response.status_code == 200
    assert f"Line 2: SKU {shop.a.code}: 11 units wanted, 10 available to ship to CN-GD." in page
    assert "Nothing was ordered" in notes(page)["r1"]
    # what was typed is all still there
    assert f'value="{shop.a.code}"' in page and 'value="11"' in page and 'value="TB-9"' in page
    assert f'value="{BUYER["address"]}"' in page
    assert orders_count(db) == before and count(db, Checkout) == 0


def test_merchant_staff_ordering_another_merchants_sku_get_a_clear_error(db, client, login_as, shop):
    login_as("merchant_staff", merchant=shop.m)
    response = client.post(URL, data=form((shop.x.code, 1)))
    page = text_of(response)
    assert response.status_code == 200
    assert notes(page)["r0"] == f"SKU {shop.x.code} does not exist."
    assert "Some lines cannot be ordered" in page and orders_count(db) == 0
    options = text_of(client.get(URL + "skus", query_string={"sku_code": shop.x.code}, headers=HX))
    assert shop.x.code not in options


def test_a_buyer_field_error_shows_by_the_field(db, client, login_as, shop):
    login_as("merchant_staff", merchant=shop.m)
    page = text_of(client.post(URL, data=form((shop.a.code, 1), region="C1")))
    assert "is not an ISO country (CN) or subdivision (CN-GD) code." in page
    assert 'data-testid="error-region"' in page and 'value="C1"' in page
    assert orders_count(db) == 0


def test_sku_search_lists_matching_codes(client, login_as, shop):
    login_as("platform_operator")
    options = text_of(client.get(URL + "skus", query_string={"sku_code": shop.x.code}, headers=HX))
    assert f'<option value="{shop.x.code}">' in options and shop.other.code in options


def test_a_code_two_merchants_use_must_name_the_merchant(db, client, login_as, shop):
    twin = make_sku(db, shop.other, code=shop.a.code)
    db.session.commit()
    login_as("platform_operator")
    page = text_of(client.post(URL + "quote", data=form((shop.a.code, 1)), headers=HX))
    assert "is used by several merchants" in notes(page)["r0"]
    page = text_of(client.post(URL + "quote", data=form((f"{shop.other.code}/{shop.a.code}", 1)), headers=HX))
    assert f"Order for {shop.other.code}" in page and twin.merchant_id == shop.other.id


def test_finance_gets_403(client, login_as, shop):
    login_as("finance")
    assert client.get(URL).status_code == 403
    assert client.post(URL + "quote", data=form((shop.a.code, 1)), headers=HX).status_code == 403
    assert client.post(URL, data=form((shop.a.code, 1))).status_code == 403


def test_switched_off_the_page_answers_404(db, client, login_as, shop):
    login_as("platform_admin")
    assert URL in text_of(client.get("/"))
    for name in DEPENDENTS + ("orders",):  # the fake plugins require orders: they go first
        kernel().set_enabled(name, False)
    db.session.flush()
    try:
        assert client.get(URL).status_code == 404
        assert client.post(URL + "quote", data=form((shop.a.code, 1)), headers=HX).status_code == 404
        assert URL not in text_of(client.get("/"))
    finally:
        for name in ("orders",) + DEPENDENTS:
            kernel().set_enabled(name, True)
        db.session.flush()
