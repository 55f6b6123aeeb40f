"""Freight rules, through the service: every basis with first and
additional units, free thresholds, no-delivery zones, category over store,
the zone closest to the destination, and order independence."""
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from plugins.logistics.services import freight
from tests.plugins.logistics.conftest import template


def items(*pairs):
    """Items from ``(sku, qty)`` pairs, in the order given."""
    return freight.items_for((i, s.id, s.code, s.product.title_en, qty, s.price) for i, (s, qty) in enumerate(pairs))


def total(shop, region, *pairs, merchant=None):
    return freight.quote((merchant or shop.m).id, region, items(*pairs), "CNY")


def test_by_count_first_item_then_each_additional(db, shop):
    template(db, shop.m, "count", zones=[{"regions": "CN", "first_units": 1, "first_fee": 10,
                                          "additional_units": 1, "additional_fee": 5}])
    assert total(shop, "CN-GD", (shop.tea, 1)).total == Decimal("10.00")
    assert total(shop, "CN-GD", (shop.tea, 3)).total == Decimal("20.00")
    assert total(shop, "CN-GD", (shop.tea, 2), (shop.pot, 2)).total == Decimal("25.00")


def test_by_weight_counts_started_blocks_of_additional_kilos(db, shop):
    template(db, shop.m, "weight", zones=[{"regions": "CN", "first_units": 1, "first_fee": 12,
                                           "additional_units": "0.5", "additional_fee": 3}])
    # 2 x 500 g = 1 kg: the first kilo only
    assert total(shop, "CN-GD", (shop.tea, 2)).total == Decimal("12.00")
    # 1 kg + 1.2 kg = 2.2 kg: 1.2 kg more is three started half-kilos
    quote = total(shop, "CN-GD", (shop.tea, 2), (shop.pot, 1))
    assert quote.total == Decimal("21.00")
    assert quote.charges[0].units == Decimal("2.2")


def test_by_volumetric_weight_divides_the_volume(db, shop):
    template(db, shop.m, "volume", divisor=5000, zones=[{"regions": "CN", "first_units": 1, "first_fee": 8,
                                                         "additional_units": 1, "additional_fee": 4}])
    # one pot: 20 x 20 x 15 cm = 6000 cm3 / 5000 = 1.2 kg: first kilo + one started kilo
    quote = total(shop, "CN-GD", (shop.pot, 1))
    assert quote.charges[0].units == Decimal("1.2")
    assert quote.total == Decimal("12.00")
    # three pots: 3.6 kg: first + 3 started kilos
    assert total(shop, "CN-GD", (shop.pot, 3)).total == Decimal("20.00")


def test_by_order_amount_charges_per_block_of_goods_value(db, shop):
    template(db, shop.m, "amount", zones=[{"regions": "CN", "first_units": 100, "first_fee": 5,
                                           "additional_units": 100, "additional_fee": 2}])
    assert total(shop, "CN-GD", (shop.pot, 1)).total == Decimal("5.00")  # 80.00
    assert total(shop, "CN-GD", (shop.pot, 3)).total == Decimal("9.00")  # 240.00: 100 + two started 100s


def test_free_over_an_amount_and_over_a_count(db, shop):
    template(db, shop.m, "count", zones=[{"regions": "CN", "first_units": 1, "first_fee": 10,
                                          "additional_units": 1, "additional_fee": 5, "free_over_amount": 150}])
    assert total(shop, "CN-GD", (shop.pot, 1)).total == Decimal("15.00") - Decimal("5.00")
    free = total(shop, "CN-GD", (shop.pot, 2))  # 160.00 reaches 150
    assert free.total == Decimal("0.00")
    assert "free" in free.charges[0].explanation
    template(db, shop.other, "count", zones=[{"regions": "CN", "first_units": 1, "first_fee": 10,
                                              "additional_units": 1, "additional_fee": 5, "free_over_count": 3}])
    assert total(shop, "CN-GD", (shop.x, 2), merchant=shop.other).total == Decimal("15.00")
    assert total(shop, "CN-GD", (shop.x, 3), merchant=shop.other).total == Decimal("0.00")


def test_a_no_delivery_zone_refuses_the_lines_and_names_them(db, shop):
    template(db, shop.m, "count", zones=[{"regions": "CN", "first_units": 1, "first_fee": 10,
                                          "additional_units": 1, "additional_fee": 5},
                                         {"regions": "CN-XZ", "no_delivery": True}])
    quote = total(shop, "CN-XZ", (shop.tea, 1), (shop.pot, 1))
    assert {item.sku_code for item, _name in quote.refused} == {shop.tea.code, shop.pot.code}
    assert shop.tea.code in quote.refusal() and "CN-XZ" in quote.refusal()
    assert not total(shop, "CN-GD", (shop.tea, 1)).refused


def test_a_region_no_zone_covers_is_refused_too(db, shop):
    template(db, shop.m, "count")  # CN only
    assert total(shop, "US", (shop.tea, 1)).refused


def test_the_closest_zone_wins_province_over_country_over_elsewhere(db, shop):
    template(db, shop.m, "count", zones=[{"regions": "*", "first_units": 1, "first_fee": 50},
                                         {"regions": "CN", "first_units": 1, "first_fee": 10},
                                         {"regions": "CN-SH", "first_units": 1, "first_fee": 6}])
    assert total(shop, "CN-SH", (shop.tea, 1)).total == Decimal("6.00")
    assert total(shop, "CN-GD", (shop.tea, 1)).total == Decimal("10.00")
    assert total(shop, "JP", (shop.tea, 1)).total == Decimal("50.00")


def test_a_category_template_wins_over_the_store_one_and_each_group_is_charged_once(db, shop):
    store = template(db, shop.m, "count", name="Store", zones=[{"regions": "CN", "first_units": 1,
                                                                "first_fee": 10, "additional_units": 1,
                                                                "additional_fee": 5}])
    # on the parent category: its child category's products use it
    tea = template(db, shop.m, "count", shop.parent, name="Tea", zones=[{"regions": "CN", "first_units": 1,
                                                                         "first_fee": 3, "additional_units": 1,
                                                                         "additional_fee": 1}])
    quote = total(shop, "CN-GD", (shop.tea, 2), (shop.pot, 2))
    by_template = {c.template_id: c for c in quote.charges}
    assert by_template[tea.id].amount == Decimal("4.00") and by_template[tea.id].skus == (shop.tea.code,)
    assert by_template[store.id].amount == Decimal("15.00") and by_template[store.id].skus == (shop.pot.code,)
    assert quote.total == Decimal("19.00")


def test_lines_without_any_template_ship_free(db, shop):
    quote = total(shop, "CN-GD", (shop.tea, 1))
    assert quote.total == 0 and not quote.charges and quote.unpriced


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_freight_never_goes_negative_and_does_not_depend_on_line_order(db, shop, data):
    savepoint = db.session.begin_nested()  # each example starts from the shop alone
    try:
        basis = data.draw(st.sampled_from(["count", "weight", "volume", "amount"]))
        fees = st.decimals(min_value=0, max_value=500, places=2)
        units = st.decimals(min_value=Decimal("0.1"), max_value=50, places=1)
        zone = {"regions": "CN", "first_units": data.draw(units), "first_fee": data.draw(fees),
                "additional_units": data.draw(units), "additional_fee": data.draw(fees)}
        if data.draw(st.booleans()):
            zone["free_over_amount"] = data.draw(fees)
        template(db, shop.m, basis, zones=[zone])
        template(db, shop.m, data.draw(st.sampled_from(["count", "weight"])), shop.leaf,
                 zones=[{**zone, "first_fee": data.draw(fees)}])
        lines = data.draw(st.lists(st.tuples(st.sampled_from([shop.tea, shop.pot]), st.integers(1, 20)),
                                   min_size=1, max_size=8))
        shuffled = data.draw(st.permutations(lines))
        first, second = total(shop, "CN-GD", *lines), total(shop, "CN-GD", *shuffled)
        assert first.total >= 0
        assert all(c.amount >= 0 for c in first.charges)
        assert first.total == second.total
    finally:
        savepoint.rollback()
