"""China's prefecture-level cities: the region tree (read from the packages'
data), an order's shipping address carrying a city (its province inferred),
the most specific zone winning (city, then province, then country), and the
editor's region picker and the calculator offering cities per province."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.logistics.models import FreightTemplate, OrderFreight
from plugins.logistics.services import freight
from plugins.orders.models import Checkout, Order
from plugins.orders.services import InvalidField, place, quote
from portal import regions
from tests.plugins.logistics.conftest import template
from tests.plugins.orders.helpers import buyer

SHENZHEN, GUANGZHOU = "440300", "440100"
ZONES = [{"regions": "CN", "first_units": 1, "first_fee": 12, "additional_units": 1, "additional_fee": 0},
         {"regions": "CN-GD", "first_units": 1, "first_fee": 8, "additional_units": 1, "additional_fee": 0},
         {"regions": SHENZHEN, "first_units": 1, "first_fee": 5, "additional_units": 1, "additional_fee": 0},
         {"regions": "440600", "no_delivery": True}]


def test_every_province_has_its_iso_code_and_cities_sit_under_their_province():
    provinces = regions.children("CN")
    assert len(provinces) == 34
    cities = [city for province in provinces for city in regions.children(province)]
    assert len(cities) > 300 and all(regions.is_city_code(c) for c in cities)
    assert regions.get(SHENZHEN).parent == "CN-GD" and regions.get("350200").parent == "CN-FJ"  # Xiamen
    assert regions.get("610100").parent == "CN-SN" and regions.get("140100").parent == "CN-SX"  # Xi'an, Taiyuan
    assert regions.chain(SHENZHEN) == [SHENZHEN, "CN-GD", "CN"]
    assert regions.label(SHENZHEN) == "Shenzhen (440300)" and regions.label(SHENZHEN, "zh_Hans_CN") == "深圳 (440300)"
    assert regions.children("CN-BJ") == []  # a municipality has no prefecture-level cities


def test_the_city_zone_beats_its_province_which_beats_the_country(db, shop):
    template(db, shop.m, zones=ZONES)
    items = freight.items_for([(0, shop.tea.id, shop.tea.code, "Tea", 1, Decimal("30"))])
    assert freight.quote(shop.m.id, SHENZHEN, items, "CNY").total == Decimal("5.00")
    assert freight.quote(shop.m.id, GUANGZHOU, items, "CNY").total == Decimal("8.00")  # no zone of its own
    assert freight.quote(shop.m.id, "CN-GD", items, "CNY").total == Decimal("8.00")
    assert freight.quote(shop.m.id, "CN-FJ", items, "CNY").total == Decimal("12.00")
    assert freight.quote(shop.m.id, "440600", items, "CNY").refused  # Foshan: no delivery


def test_an_order_to_a_city_infers_its_province_and_is_charged_the_city_zone(db, shop):
    template(db, shop.m, name="Store", zones=ZONES)
    order = place(None, "portal", buyer(SHENZHEN, city=""), [(shop.tea.id, 1)]).orders[0]
    checkout = db.session.get(Checkout, order.checkout_id)
    assert (checkout.ship_region, checkout.ship_city_code, checkout.ship_country) == ("CN-GD", SHENZHEN, "CN")
    assert checkout.ship_city == "深圳"  # the blank city field gets the city's name
    assert [a.amount for a in order.adjustments if a.kind == "freight"] == [Decimal("5.00")]
    kept = db.session.execute(select(OrderFreight).where(OrderFreight.order_id == order.id)).scalar_one()
    assert (kept.region, kept.zone, kept.amount) == (SHENZHEN, SHENZHEN, Decimal("5.0000"))


def test_a_province_only_address_falls_back_to_the_province_zone(db, shop):
    template(db, shop.m, zones=ZONES)
    order = place(None, "portal", buyer("CN-GD", city="Guangzhou"), [(shop.tea.id, 1)]).orders[0]
    checkout = db.session.get(Checkout, order.checkout_id)
    assert (checkout.ship_region, checkout.ship_city_code, checkout.ship_city) == ("CN-GD", "", "Guangzhou")
    assert [a.amount for a in order.adjustments if a.kind == "freight"] == [Decimal("8.00")]
    assert quote(None, [(shop.tea.id, 1)], GUANGZHOU)[0].adjustments_total == Decimal("8.00")


@pytest.mark.parametrize("code", ["440399", "440000", "440305"])  # no such city; a province's; a district's
def test_an_unknown_city_code_is_refused_naming_it_and_nothing_is_placed(db, shop, code):
    template(db, shop.m, zones=ZONES)
    before = db.session.execute(select(func.count(Order.id))).scalar()
    with pytest.raises(InvalidField) as refused:
        place(None, "portal", buyer(code), [(shop.tea.id, 1)])
    assert refused.value.field == "region"
    assert f"{code} is not the code of a city of China" in str(refused.value)
    assert db.session.execute(select(func.count(Order.id))).scalar() == before


def test_the_api_refuses_an_unknown_city_code_in_the_buyer_region(db, shop):
    from plugins.orders.services.intake import api_error_of
    with pytest.raises(InvalidField) as refused:
        place(None, "portal", buyer("449999"), [(shop.tea.id, 1)])
    error = api_error_of(refused.value, {"lines": [{"sku_id": shop.tea.id, "qty": 1}]})
    assert error.status == 422 and error.body["errors"][0]["field"] == "buyer.region"
    assert "449999" in error.body["errors"][0]["message"]


def test_the_order_page_shows_the_city(db, shop, client, login_as):
    order = place(None, "portal", buyer(SHENZHEN), [(shop.tea.id, 1)]).orders[0]
    login_as("merchant_admin", merchant=shop.m)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Shenzhen (440300)" in page


def test_the_editor_saves_a_city_zone_and_refuses_an_unknown_one(db, shop, client, login_as):
    login_as("merchant_admin", merchant=shop.m)
    form = {"name": "City rates", "basis": "count", "volume_divisor": "6000", "category_id": "",
            "zone-0-regions": "CN", "zone-0-first_fee": "10", "zone-1-regions": f"CN-GD {SHENZHEN}",
            "zone-1-first_fee": "6"}
    page = client.post("/logistics/templates/new", data={**form, "zone-1-regions": "449999"})
    assert "zone 2: regions: 449999: not a country" in page.get_data(as_text=True)
    assert client.post("/logistics/templates/new", data=form).status_code == 302
    saved = db.session.execute(select(FreightTemplate).where(FreightTemplate.name == "City rates")).scalar_one()
    assert [z.regions for z in saved.zones] == ["CN", f"CN-GD {SHENZHEN}"]
    # saved with the second row's picker still open: its check boxes count
    client.post(f"/logistics/templates/{saved.id}", data={**form, "picker-1": "1", "pick-1": ["CN-FJ", "350200"]})
    db.session.refresh(saved)
    assert [z.regions for z in saved.zones] == ["CN", "CN-FJ 350200"]


def test_the_region_picker_lists_provinces_and_loads_a_provinces_cities_on_demand(db, shop, client, login_as):
    login_as("merchant_admin", merchant=shop.m)
    hx = {"HX-Request": "true"}
    picker = client.get("/logistics/templates/region-picker?n=3&zone-3-regions=US+440300", headers=hx)
    body = picker.get_data(as_text=True)
    assert picker.status_code == 200 and 'data-testid="region-picker"' in body
    assert 'value="CN-FJ"' in body and 'value="350200"' not in body  # Fujian closed: its cities are not sent
    assert 'value="440300" id="pick-3-440300" checked' in body  # Guangdong open: a city of it is chosen
    assert len(body) < 60_000
    cities = client.get("/logistics/templates/region-picker/cities?n=3&province=CN-FJ&zone-3-regions=350200",
                        headers=hx).get_data(as_text=True)
    assert 'value="350200" id="pick-3-350200" checked' in cities and "Fuzhou (350100)" in cities
    applied = client.get("/logistics/templates/region-picker?n=3&apply=1&zone-3-regions=US+440300"
                         "&pick-3=CN-FJ&pick-3=350200", headers=hx).get_data(as_text=True)
    assert 'value="US CN-FJ 350200"' in applied and 'data-testid="region-picker"' not in applied
    assert client.get("/logistics/templates/region-picker/cities?n=3&province=CN-QQ", headers=hx).status_code == 404
    assert client.get("/logistics/templates/region-picker?n=x", headers=hx).status_code == 404


def test_the_region_picker_needs_write_access(db, shop, client, login_as):
    login_as("merchant_staff", merchant=shop.m)
    assert client.get("/logistics/templates/region-picker?n=1").status_code == 403


def test_the_calculator_offers_the_provinces_cities_and_charges_the_city(db, shop, client, login_as):
    template(db, shop.m, zones=ZONES)
    login_as("merchant_admin", merchant=shop.m)
    cities = client.get("/logistics/calculator/cities?region=CN-GD", headers={"HX-Request": "true"})
    assert "Shenzhen (440300)" in cities.get_data(as_text=True)
    assert 'name="city"' not in client.get("/logistics/calculator/cities?region=CN-BJ").get_data(as_text=True)
    data = {"region": "CN-GD", "city": SHENZHEN, "sku": [shop.tea.code], "qty": ["1"]}
    body = client.post("/logistics/calculator/", data=data, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Freight: 5.00 CNY" in body and "To Shenzhen (440300)" in body
    # a city left over from the province chosen before is not used
    body = client.post("/logistics/calculator/", data={**data, "region": "CN-FJ"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Freight: 12.00 CNY" in body


def test_the_calculator_service_refuses_a_city_of_another_province(db, shop):
    from plugins.logistics.services.charging import calculate
    from plugins.logistics.services.errors import InvalidValue
    with pytest.raises(InvalidValue) as refused:
        calculate(None, shop.m.id, "CN-FJ", [(shop.tea.code, "1")], SHENZHEN)
    assert "440300 is not a city of CN-FJ" in str(refused.value)
