"""Products and SKUs: generation from spec values, field checks, sanitising, scoping."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.catalog.models import Sku
from plugins.catalog.services import CatalogError, products, skus
from portal.access import AccessDenied
from portal.extensions import db as _db
from portal.models import AuditLog
from tests.conftest import create_merchant, create_user


def test_skus_are_the_cartesian_product_of_the_chosen_values(lib, make_product):
    product = make_product(create_merchant(), colours=["Red", "Blue"], sizes=["S", "M"], prefix="TS")
    assert sorted(s.code for s in product.skus) == ["TS-BLUE-M", "TS-BLUE-S", "TS-RED-M", "TS-RED-S"]
    assert {s.label for s in product.skus} == {"Red / S", "Red / M", "Blue / S", "Blue / M"}
    assert all(s.price == Decimal("99.00") and s.currency == "CNY" for s in product.skus)
    assert len({s.spec_key for s in product.skus}) == 4
    assert _db.session.execute(select(AuditLog).where(AuditLog.action == "catalog.product.create")).first()


def test_a_product_without_spec_values_has_one_sku(lib, make_product):
    product = make_product(create_merchant(), prefix="MUG", category_id=lib.electronics.id)
    assert [(s.code, s.spec_key, s.label) for s in product.skus] == [("MUG", "", "")]


def test_adding_a_value_adds_only_the_new_combinations(lib, make_product):
    merchant = create_merchant()
    product = make_product(merchant, colours=["Red", "Blue"], sizes=["S"], prefix="TS")
    red = next(s for s in product.skus if s.code == "TS-RED-S")
    skus.update_sku(None, red, {"code": "TS-RED-S", "barcode": "6901234567892", "price": "120.50",
                                "currency": "CNY", "weight_g": "180"})
    created = skus.add_spec_values(None, product, [lib.v["M"].id], {"code_prefix": "TS", "price": "99"})
    assert sorted(s.code for s in created) == ["TS-BLUE-M", "TS-RED-M"]
    assert len(product.skus) == 4
    assert (red.price, red.barcode, red.weight_g) == (Decimal("120.50"), "6901234567892", 180)
    with pytest.raises(CatalogError, match="at least one value the product does not have"):
        skus.add_spec_values(None, product, [lib.v["M"].id], {"code_prefix": "TS", "price": "99"})


def test_a_new_spec_attribute_cannot_be_added_later(lib, make_product):
    product = make_product(create_merchant(), colours=["Red"], prefix="TS")
    with pytest.raises(CatalogError, match="S belong to an attribute this product's SKUs do not use"):
        skus.add_spec_values(None, product, [lib.v["S"].id], {"code_prefix": "TS", "price": "99"})
    single = make_product(create_merchant(), prefix="ONE")
    with pytest.raises(CatalogError, match="no spec attributes"):
        skus.add_spec_values(None, single, [lib.v["Red"].id], {"code_prefix": "ONE", "price": "1"})


def test_sku_codes_are_unique_per_merchant_only(lib, make_product):
    first, second = create_merchant(), create_merchant()
    make_product(first, colours=["Red"], prefix="TS")
    with pytest.raises(CatalogError, match="SKU code: TS-RED already used in this store"):
        make_product(first, colours=["Red"], prefix="TS")
    make_product(second, colours=["Red"], prefix="TS")
    product = make_product(first, colours=["Blue"], prefix="TS")
    with pytest.raises(CatalogError, match="TS-RED is already used"):
        skus.update_sku(None, product.skus[0], {"code": "TS-RED", "price": "1", "currency": "CNY"})


@pytest.mark.parametrize("fields, message", [
    ({"price": "-1"}, "Price: must not be negative"),
    ({"price": "9.999"}, "Price: CNY amounts have at most 2 decimal"),
    ({"price": "abc"}, "Price: 'abc' is not a number"),
    ({"price": ""}, "Price: required"),
    ({"price": "100", "currency": "JPY"}, None),
    ({"price": "100.5", "currency": "JPY"}, "Price: JPY amounts have at most 0 decimal"),
    ({"currency": "XYZ"}, "Currency: XYZ is not an active currency"),
    ({"list_price": "10"}, "List price: 10.00 is below the price 20.00"),
    ({"hs_code": "12ab"}, "HS code: 12ab"),
    ({"hs_code": "6109.10.00"}, None),
    ({"origin_country": "XX"}, "Country of origin: XX"),
    ({"weight_g": "-3"}, "Weight \\(g\\): must be at least 0"),
    ({"length_mm": "1.5"}, "Length \\(mm\\): '1.5' is not a whole number"),
    ({"code": "has space"}, "SKU code: has space"),
    ({"barcode": "69 01"}, "Barcode: 69 01"),
])
def test_sku_fields_are_checked(lib, fields, message):
    raw = {"code": "A-1", "price": "20", "currency": "CNY", **fields}
    if message is None:
        assert skus.sku_fields(raw)["code"] == "A-1"
    else:
        with pytest.raises(CatalogError, match=message):
            skus.sku_fields(raw)


def test_money_is_decimal_rounded_to_the_currency(lib, make_product):
    product = make_product(create_merchant(), price="10.5", prefix="D")
    _db.session.expire_all()
    sku = _db.session.execute(select(Sku).where(Sku.product_id == product.id)).scalar_one()
    assert sku.price == Decimal("10.50") and isinstance(sku.price, Decimal)
    skus.update_price(None, sku, "12.30")
    assert sku.price == Decimal("12.30")


def test_inline_price_must_stay_at_or_below_the_list_price(lib, make_product):
    sku = make_product(create_merchant(), prefix="LP").skus[0]
    skus.update_sku(None, sku, {"code": "LP", "price": "99", "list_price": "129", "currency": "CNY"})
    with pytest.raises(CatalogError, match="above the list price 129.00"):
        skus.update_price(None, sku, "130")


def test_descriptions_are_sanitised(lib, make_product):
    product = make_product(create_merchant(), description_en=(
        '<p onclick="steal()">Soft <b>linen</b><script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">x</a><a href="https://example.com">site</a><img src=x onerror=alert(1)>'
        '<style>body{}</style>'))
    html = product.description_en
    assert "<p>Soft <b>linen</b></p>" in html
    for bad in ("script", "onclick", "javascript", "onerror", "<img", "style", "alert"):
        assert bad not in html
    assert 'href="https://example.com"' in html


def test_category_must_be_an_active_leaf(lib, make_product):
    merchant = create_merchant()
    with pytest.raises(CatalogError, match="Category: Clothing has sub-categories"):
        make_product(merchant, category_id=lib.clothing.id)
    lib.trousers.active = False
    with pytest.raises(CatalogError, match="Category: Trousers is inactive"):
        make_product(merchant, category_id=lib.trousers.id)
    with pytest.raises(CatalogError, match="Title \\(English\\): required"):
        make_product(merchant, title_en=" ")


def test_a_product_keeps_its_category_when_the_tree_grows_under_it(lib, make_product):
    from plugins.catalog.services import library
    product = make_product(create_merchant(), prefix="G")
    library.create_category(None, "Formal shirts", parent_id=lib.shirts.id)
    products.update_product(None, product, {"title_en": "Renamed", "category_id": lib.shirts.id})
    assert product.title_en == "Renamed"


def test_parameters_take_an_allowed_value_or_free_text(lib, make_product):
    product = make_product(create_merchant(), prefix="PRM")
    fields = {"title_en": "Linen shirt", "category_id": lib.shirts.id}
    products.update_product(None, product, fields, {str(lib.material.id): str(lib.material.values[1].id),
                                                    str(lib.origin.id): "Hangzhou"})
    assert sorted(p.display for p in product.params) == ["Hangzhou", "Linen"]
    with pytest.raises(CatalogError, match="Material: choose one of the listed values"):
        products.update_product(None, product, fields, {str(lib.material.id): "Silk"})
    with pytest.raises(CatalogError, match="not a parameter of Shirts"):
        products.update_product(None, product, fields, {str(lib.colour.id): "x"})


def test_changing_to_a_category_without_the_skus_attributes_is_refused(lib, make_product):
    product = make_product(create_merchant(), colours=["Red"], prefix="CC")
    with pytest.raises(CatalogError, match="lacks spec attributes"):
        products.update_product(None, product, {"title_en": "X", "category_id": lib.electronics.id})


def test_merchant_staff_always_create_in_their_own_store(lib, make_product):
    mine, other = create_merchant(), create_merchant()
    staff = create_user("merchant_staff", mine)
    product = products.create_product(staff, other.id, {"title_en": "Mine", "category_id": lib.shirts.id},
                                      sku_defaults={"code_prefix": "M", "price": "1"})
    assert product.merchant_id == mine.id


def test_merchant_staff_cannot_change_another_merchants_product(lib, make_product):
    mine, other = create_merchant(), create_merchant()
    theirs = make_product(other, prefix="T")
    staff = create_user("merchant_staff", mine)
    with pytest.raises(AccessDenied):
        products.update_product(staff, theirs, {"title_en": "Hijack", "category_id": lib.shirts.id})
    with pytest.raises(AccessDenied):
        skus.update_price(staff, theirs.skus[0], "1")
    finance = create_user("finance")
    with pytest.raises(AccessDenied):
        skus.update_price(finance, theirs.skus[0], "1")


def test_too_many_combinations_are_refused(lib, make_product, monkeypatch):
    monkeypatch.setattr(skus, "MAX_SKUS", 3)
    with pytest.raises(CatalogError, match="4 combinations; at most 3"):
        make_product(create_merchant(), colours=["Red", "Blue"], sizes=["S", "M"])
    assert _db.session.execute(select(func.count(Sku.id))).scalar() == 0
