"""Importing Shopify's product CSV export: handles make products, Vendor is a
brand of the library, Type maps to a category, options to spec values."""
import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from plugins.catalog.models import Product
from plugins.catalog.services import imports
from tests.conftest import create_merchant, create_user

SHOPIFY_HEADER = ["Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
                  "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
                  "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
                  "Variant Price", "Variant Compare At Price", "Variant Requires Shipping", "Variant Barcode",
                  "Image Src", "Image Position", "Status"]


def row(**cells):
    return [cells.get(h, "") for h in SHOPIFY_HEADER]


SHIRT = [
    row(Handle="linen-shirt", Title="Linen Shirt", **{
        "Body (HTML)": "<p>Soft <b>linen</b></p>\n<script>alert(1)</script>", "Vendor": "Acme", "Type": "Shirts",
        "Tags": "summer, linen", "Published": "TRUE", "Option1 Name": "Color", "Option1 Value": "Red",
        "Option2 Name": "Size", "Option2 Value": "S", "Variant SKU": "LIN-RED-S", "Variant Grams": "180",
        "Variant Price": "199.00", "Variant Compare At Price": "249.00", "Variant Barcode": "'6901234567892",
        "Image Src": "https://images.shop.example/files/shirt-red.jpg", "Image Position": "1", "Status": "active"}),
    row(Handle="linen-shirt", **{"Option1 Value": "Red", "Option2 Value": "M", "Variant SKU": "LIN-RED-M",
                                 "Variant Grams": "185", "Variant Price": "199.00",
                                 "Image Src": "https://images.shop.example/files/shirt-back.jpg",
                                 "Image Position": "2"}),
    row(Handle="linen-shirt", **{"Option1 Value": "Blue", "Option2 Value": "S", "Variant Grams": "0",
                                 "Variant Price": "209.00", "Variant Compare At Price": "150.00"}),
    row(Handle="linen-shirt", **{"Image Src": "https://images.shop.example/files/shirt-blue.jpg",
                                 "Image Position": "3"}),
]
MUG = [row(Handle="travel-mug", Title="Travel Mug", **{
    "Body (HTML)": "<p>Keeps tea hot</p>", "Vendor": "acme", "Type": "Gadgets", "Option1 Name": "Title",
    "Option1 Value": "Default Title", "Variant SKU": "MUG-1", "Variant Grams": "350", "Variant Price": "89.00"})]


def export(rows, header=SHOPIFY_HEADER):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture()
def staff(db, lib):
    return create_user("merchant_admin", create_merchant(default_currency="EUR"))


def stored_file(actor, data):
    stored, _ = imports.store_import_file(actor, FileStorage(io.BytesIO(data), filename="products_export.csv"),
                                          actor.merchant_id)
    return stored


def issues(plan):
    return [(i.line, i.column, i.message) for i in plan.issues]


def test_an_unmapped_type_is_reported_and_a_chosen_category_fixes_it(db, lib, staff):
    stored = stored_file(staff, export(SHIRT + MUG))
    plan = imports.check_file(staff, stored, "shopify")
    assert issues(plan) == [(6, "Type", "no category is chosen for the type Gadgets; choose one above the table.")]
    assert plan.types == {"Shirts": 1, "Gadgets": 1}
    plan = imports.check_file(staff, stored, "shopify", {"Gadgets": str(lib.electronics.id)})
    assert plan.issues == [] and (plan.count("create"), plan.skus_created) == (2, 4)


def test_a_shopify_catalog_is_imported(db, lib, staff):
    stored = stored_file(staff, export(SHIRT + MUG))
    plan = imports.run_import(staff, stored, "shopify", {"Gadgets": lib.electronics.id})
    assert any("3 image link(s)" in w for w in plan.warnings)
    assert any("1 variant(s) have no Variant SKU" in w for w in plan.warnings)
    assert any("1 compare-at price(s)" in w for w in plan.warnings)
    shirt = db.session.execute(select(Product).where(Product.title_en == "Linen Shirt")).scalar_one()
    assert (shirt.category_id, shirt.brand_id, shirt.merchant_id) == (lib.shirts.id, lib.brand.id, staff.merchant_id)
    assert shirt.description_en == "<p>Soft <b>linen</b></p>\n"
    by_code = {s.code: s for s in shirt.skus}
    assert sorted(by_code) == ["LIN-RED-M", "LIN-RED-S", "LINEN-SHIRT-BLUE-S"]
    red_s = by_code["LIN-RED-S"]
    assert (red_s.label, red_s.price, red_s.list_price, red_s.currency) == ("Red / S", Decimal("199.00"),
                                                                            Decimal("249.00"), "EUR")
    assert (red_s.barcode, red_s.weight_g) == ("6901234567892", 180)
    blue = by_code["LINEN-SHIRT-BLUE-S"]
    assert (blue.label, blue.list_price, blue.weight_g) == ("Blue / S", None, None)
    mug = db.session.execute(select(Product).where(Product.title_en == "Travel Mug")).scalar_one()
    assert [(s.code, s.spec_key, s.price) for s in mug.skus] == [("MUG-1", "", Decimal("89.00"))]


def test_importing_the_same_export_again_changes_nothing(db, lib, staff):
    data = export(SHIRT + MUG)
    imports.run_import(staff, stored_file(staff, data), "shopify", {"Gadgets": lib.electronics.id})
    again = imports.run_import(staff, stored_file(staff, data), "shopify", {"Gadgets": lib.electronics.id})
    assert (again.count("create"), again.count("update"), again.count("unchanged")) == (0, 0, 2)
    changed = [list(r) for r in SHIRT]
    changed[1][SHOPIFY_HEADER.index("Variant Price")] = "189.00"
    plan = imports.run_import(staff, stored_file(staff, export(changed)), "shopify")
    assert (plan.count("update"), plan.skus_updated, plan.skus_created) == (1, 1, 0)


def test_unknown_vendor_option_and_value_name_row_and_column(db, lib, staff):
    rows = [list(r) for r in SHIRT]
    rows[0][SHOPIFY_HEADER.index("Vendor")] = "Nike"
    rows[0][SHOPIFY_HEADER.index("Option2 Name")] = "Fit"
    rows[1][SHOPIFY_HEADER.index("Option1 Value")] = "Teal"
    found = {(line, column): message for line, column, message in
             issues(imports.check_file(staff, stored_file(staff, export(rows)), "shopify"))}
    assert found[(2, "Vendor")].startswith("no brand named Nike in the library")
    assert found[(2, "Option2 Name")].startswith("Fit is not a spec attribute of Shirts (it has: Colour, Size)")
    assert found[(3, "Option1 Value")].startswith("Teal is not an allowed value of Colour")


def test_a_file_that_is_not_a_shopify_export_is_named(db, lib, staff):
    plan = imports.check_file(staff, stored_file(staff, export([["x", "y"]], header=["Name", "Price"])), "shopify")
    assert {(i.line, i.column) for i in plan.issues} == {(1, "Handle"), (1, "Title"), (1, "Variant SKU"),
                                                         (1, "Variant Price")}
