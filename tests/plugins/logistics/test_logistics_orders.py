"""Freight inside the orders: the pricing extension point charges it, the
breakdown is kept on the order and shown on its page, a region the merchant
does not deliver to refuses the order naming the lines."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.logistics.models import OrderFreight
from plugins.orders.models import Order
from plugins.orders.services import InvalidField, place, quote
from tests.plugins.logistics.conftest import template
from tests.plugins.orders.helpers import buyer

ZONES = [{"regions": "CN", "first_units": 1, "first_fee": 10, "additional_units": 1, "additional_fee": 5},
         {"regions": "CN-XZ", "no_delivery": True}]


def test_placing_adds_one_freight_adjustment_per_template_and_keeps_why(db, shop):
    template(db, shop.m, "count", name="Store", zones=ZONES)
    template(db, shop.m, "weight", shop.leaf, name="Tea by weight",
             zones=[{"regions": "CN-GD", "first_units": 1, "first_fee": 7, "additional_units": 1,
                     "additional_fee": 2}])
    checkout = place(None, "portal", buyer("CN-GD"), [(shop.tea.id, 4), (shop.pot.id, 2)])
    order = checkout.orders[0]
    freight = [a for a in order.adjustments if a.kind == "freight"]
    assert sorted(a.amount for a in freight) == [Decimal("9.00"), Decimal("15.00")]  # 2 kg of tea; 2 pots
    assert all(a.source == "logistics" for a in freight)
    assert order.total == Decimal("280.00") + Decimal("24.00")
    rows = db.session.execute(select(OrderFreight).where(OrderFreight.order_id == order.id)).scalars().all()
    assert {(r.template_name, r.amount) for r in rows} == {("Store", Decimal("15.00")),
                                                           ("Tea by weight", Decimal("9.00"))}
    assert rows[0].region == "CN-GD"


def test_a_region_without_delivery_refuses_the_order_naming_the_lines(db, shop):
    template(db, shop.m, "count", zones=ZONES)
    before = db.session.execute(select(func.count(Order.id))).scalar()
    with pytest.raises(InvalidField) as refused:
        place(None, "portal", buyer("CN-XZ"), [(shop.tea.id, 1), (shop.pot.id, 1)])
    assert refused.value.field == "region"
    assert shop.tea.code in str(refused.value) and shop.pot.code in str(refused.value)
    assert db.session.execute(select(func.count(Order.id))).scalar() == before


def test_the_price_preview_shows_the_freight_and_writes_nothing(db, shop, factories):
    template(db, shop.m, "count", zones=ZONES)
    priced = quote(None, [(shop.tea.id, 2)], "CN-GD")
    assert priced[0].adjustments_total == Decimal("15.00")
    assert db.session.execute(select(func.count(OrderFreight.id))).scalar() == 0


def test_the_order_page_shows_why_this_freight(db, shop, client, login_as):
    template(db, shop.m, "count", name="Store rates", zones=ZONES)
    order = place(None, "portal", buyer("CN-GD"), [(shop.tea.id, 2)]).orders[0]
    login_as("merchant_admin", merchant=shop.m)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Why this freight" in page and "Store rates" in page and "15.00" in page


def test_the_json_api_names_the_region_field_when_refused(db, shop):
    from plugins.orders.services.intake import api_error_of
    template(db, shop.m, "count", zones=ZONES)
    with pytest.raises(InvalidField) as refused:
        place(None, "portal", buyer("CN-XZ"), [(shop.tea.id, 1)])
    error = api_error_of(refused.value, {"lines": [{"sku_id": shop.tea.id, "qty": 1}]})
    assert error.status == 422 and error.body["errors"][0]["field"] == "buyer.region"


def test_with_logistics_off_orders_are_placed_without_freight(db, shop):
    from portal.plugins import kernel
    template(db, shop.m, "count", zones=ZONES)
    kernel().set_enabled("logistics", False)
    try:
        order = place(None, "portal", buyer("CN-XZ"), [(shop.tea.id, 1)]).orders[0]
        assert not [a for a in order.adjustments if a.kind == "freight"]
    finally:
        kernel().set_enabled("logistics", True)
