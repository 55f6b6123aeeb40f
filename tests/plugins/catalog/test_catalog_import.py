"""Import in the portal's format (CSV and XLSX) and export, through the
services: the preview's problems name row and column, the import is all or
nothing, a second import of the same file changes nothing, and the traps
(missing column, bad price, unknown category, duplicate codes, formulas, a
50 MB file, a non-UTF-8 file)."""
import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from plugins.catalog.models import Product, Sku
from plugins.catalog.services import exports, imports, queries, shelf
from plugins.catalog.services.sheets import decode_text, escape_formula, unescape_formula
from portal.models import AuditLog, StoredFile
from tests.conftest import create_merchant, create_user

HEADER = ["product_ref", "title_en", "title_zh", "category", "brand", "sku_code", "price", "currency",
          "spec:colour", "spec:size", "param:material"]


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(actor, data, name="products.csv", merchant_id=None):
    stored, _encoding = imports.store_import_file(actor, FileStorage(io.BytesIO(data), filename=name),
                                                  merchant_id or actor.merchant_id)
    return stored


def check(actor, data, **kw):
    return imports.check_file(actor, upload(actor, data, **kw))


def count(db, model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def issues(plan):
    return [(i.line, i.column, i.message) for i in plan.issues]


@pytest.fixture()
def staff(db, lib):
    merchant = create_merchant()
    return create_user("merchant_admin", merchant)


SHIRT_ROWS = [
    ["shirt-1", "Linen shirt", "亚麻衬衫", "Clothing > Shirts", "Acme", "LS-RED-S", "199.00", "CNY", "Red", "S", "Linen"],
    ["shirt-1", "Linen shirt", "亚麻衬衫", "Clothing > Shirts", "Acme", "LS-RED-M", "199.00", "CNY", "Red", "M", "Linen"],
    ["shirt-1", "Linen shirt", "亚麻衬衫", "Clothing > Shirts", "Acme", "LS-BLUE-S", "209.00", "", "蓝色", "s", "Linen"],
    ["pants-1", "Chinos", "", "Trousers", "", "CH-1", "299", "CNY", "Green", "L", ""],
]


def test_a_new_catalog_is_imported_with_specs_params_and_brand(db, lib, staff):
    plan = imports.run_import(staff, upload(staff, csv_bytes(SHIRT_ROWS)))
    assert (plan.count("create"), plan.skus_created) == (2, 4)
    shirt = db.session.execute(select(Product).where(Product.title_en == "Linen shirt")).scalar_one()
    assert shirt.merchant_id == staff.merchant_id and shirt.category_id == lib.shirts.id
    assert shirt.brand_id == lib.brand.id and shirt.title_zh == "亚麻衬衫"
    assert sorted((s.code, s.label, s.price) for s in shirt.skus) == [
        ("LS-BLUE-S", "Blue / S", Decimal("209.00")), ("LS-RED-M", "Red / M", Decimal("199.00")),
        ("LS-RED-S", "Red / S", Decimal("199.00"))]
    assert {sv.value.value_en for sv in shirt.spec_values} == {"Red", "Blue", "S", "M"}
    assert [p.display for p in shirt.params] == ["Linen"]
    assert all(s.currency == "CNY" and s.merchant_id == staff.merchant_id for s in shirt.skus)
    assert shirt.review_status == "approved" and shirt.shelf_status == "off"
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "catalog.import")).scalar_one()
    assert '"products_created": 2' in audit.summary and audit.merchant_id == staff.merchant_id


def test_importing_the_same_file_again_changes_nothing(db, lib, staff):
    data = csv_bytes(SHIRT_ROWS)
    imports.run_import(staff, upload(staff, data))
    before = (count(db, Product), count(db, Sku))
    again = imports.run_import(staff, upload(staff, data))
    assert (again.count("create"), again.count("update"), again.count("unchanged")) == (0, 0, 2)
    assert (again.skus_created, again.skus_updated) == (0, 0)
    assert (count(db, Product), count(db, Sku)) == before


def test_a_changed_price_and_a_new_sku_update_the_product(db, lib, staff):
    imports.run_import(staff, upload(staff, csv_bytes(SHIRT_ROWS)))
    rows = [list(r) for r in SHIRT_ROWS[:3]]
    rows[0][6] = "189.00"
    rows.append(["shirt-1", "Linen shirt", "亚麻衬衫", "Clothing > Shirts", "Acme", "LS-BLUE-M", "209.00", "",
                 "Blue", "M", "Linen"])
    plan = imports.run_import(staff, upload(staff, csv_bytes(rows)))
    assert (plan.count("update"), plan.skus_created, plan.skus_updated) == (1, 1, 1)
    shirt = db.session.execute(select(Product).where(Product.title_en == "Linen shirt")).scalar_one()
    assert {s.code: s.price for s in shirt.skus}["LS-RED-S"] == Decimal("189.00")
    assert len(shirt.skus) == 4 and count(db, Product) == 2


def test_a_missing_column_is_named_on_row_1(db, lib, staff):
    header = [h for h in HEADER if h != "price"]
    plan = check(staff, csv_bytes([r[:6] + r[7:] for r in SHIRT_ROWS], header=header))
    assert issues(plan) == [(1, "price", "the column is missing from the header row.")]
    assert plan.products == []


def test_unknown_columns_and_attribute_codes_are_named(db, lib, staff):
    plan = check(staff, csv_bytes([], header=HEADER + ["prcie", "spec:flavour"]))
    assert {(i.line, i.column) for i in plan.issues} == {(1, "prcie"), (1, "spec:flavour")}


def test_bad_price_unknown_category_and_brand_name_row_and_column_and_write_nothing(db, lib, staff):
    rows = [list(r) for r in SHIRT_ROWS]
    rows[1][6] = "12.345"
    rows[2][6] = "abc"
    rows[3][3] = "Shoes"
    rows[3][4] = "Nobody"
    before = (count(db, Product), count(db, Sku))
    plan = check(staff, csv_bytes(rows))
    found = {(line, column): message for line, column, message in issues(plan)}
    assert "CNY amounts have at most 2 decimal(s)" in found[(3, "price")]
    assert "'abc' is not a number" in found[(4, "price")]
    assert found[(5, "category")] == "no category named Shoes in the library."
    assert found[(5, "brand")].startswith("no brand named Nobody in the library")
    with pytest.raises(imports.ImportFailed) as failed:
        imports.run_import(staff, upload(staff, csv_bytes(rows)))
    assert "nothing was imported" in str(failed.value)
    assert (count(db, Product), count(db, Sku)) == before


def test_one_bad_row_keeps_every_good_row_out(db, lib, staff):
    rows = [list(r) for r in SHIRT_ROWS]
    rows[3][8] = "Purple"
    with pytest.raises(imports.ImportFailed) as failed:
        imports.run_import(staff, upload(staff, csv_bytes(rows)))
    assert issues(failed.value.plan) == [(5, "spec:colour", "Purple is not an allowed value of Colour (Red, Blue, "
                                                            "Green); ask the platform to add it.")]
    assert count(db, Product) == 0 and count(db, Sku) == 0


def test_duplicate_sku_codes_in_the_file_and_against_another_product(db, lib, staff, make_product):
    existing = make_product(staff.merchant, colours=["Green"], sizes=["S"], prefix="OLD", title_en="Green tee")
    rows = [list(r) for r in SHIRT_ROWS]
    rows[1][5] = "LS-RED-S"  # twice in the file
    rows.append(["shirt-1", "Linen shirt", "亚麻衬衫", "Clothing > Shirts", "Acme", "OLD-GREEN-S", "1", "",
                 "Green", "S", "Linen"])  # a new product's row takes a code of another product
    found = {(line, column): message for line, column, message in issues(check(staff, csv_bytes(rows)))}
    assert found == {
        (3, "sku_code"): "the SKU code LS-RED-S is also on row 2; each SKU code appears once.",
        (6, "sku_code"): f"the SKU code OLD-GREEN-S belongs to another product, #{existing.id} (Green tee), while "
                         f"row 2 of this product is a new SKU; write {existing.id} as the product_ref to add SKUs "
                         f"to #{existing.id}, or give this row a new SKU code."}
    # a product named by its number cannot take another product's SKU
    mine = make_product(staff.merchant, colours=["Red"], sizes=["S"], prefix="MINE")
    rows = [[str(mine.id), "Linen shirt", "", "Clothing > Shirts", "", "OLD-GREEN-S", "1", "", "Green", "S", ""]]
    (line, column, message), = issues(check(staff, csv_bytes(rows)))
    assert (line, column) == (2, "sku_code")
    assert message.startswith(f"the SKU code OLD-GREEN-S belongs to another product, #{existing.id} (Green tee), "
                              f"but this product is #{mine.id}")
    assert count(db, Sku, Sku.code == "LS-RED-S") == 0


def test_two_keys_of_the_file_cannot_update_one_product(db, lib, staff, make_product):
    existing = make_product(staff.merchant, colours=["Red"], sizes=["S", "M"], prefix="TWO")
    rows = [["a", "Linen shirt", "", "Clothing > Shirts", "", "TWO-RED-S", "1", "", "Red", "S", ""],
            ["b", "Linen shirt", "", "Clothing > Shirts", "", "TWO-RED-M", "1", "", "Red", "M", ""]]
    (line, column, message), = issues(check(staff, csv_bytes(rows)))
    assert (line, column) == (3, "product_ref") and f"update product #{existing.id}" in message


def test_rows_of_one_product_cannot_join_two_existing_products(db, lib, staff, make_product):
    merchant = staff.merchant
    first = make_product(merchant, colours=["Red"], sizes=["S"], prefix="A")
    second = make_product(merchant, colours=["Red"], sizes=["S"], prefix="B")
    rows = [["x", "Joined", "", "Clothing > Shirts", "", first.skus[0].code, "1", "", "Red", "S", ""],
            ["x", "Joined", "", "Clothing > Shirts", "", second.skus[0].code, "1", "", "Red", "S", ""]]
    (line, column, message), = issues(check(staff, csv_bytes(rows)))
    assert (line, column) == (3, "sku_code")
    assert f"belongs to another product, #{second.id}" in message and f"belongs to product #{first.id}" in message


def test_product_columns_must_repeat_the_same_value(db, lib, staff):
    rows = [list(r) for r in SHIRT_ROWS]
    rows[1][1] = "Linen shirt (new)"
    assert issues(check(staff, csv_bytes(rows)))[0][:2] == (3, "title_en")


def test_a_formula_cell_is_refused_and_an_escaped_one_is_text(db, lib, staff):
    rows = [list(r) for r in SHIRT_ROWS]
    rows[0][6] = "=1+2"
    rows[1][1] = rows[2][1] = rows[0][1] = "'=HYPERLINK(\"http://x\")"
    plan = check(staff, csv_bytes(rows))
    assert issues(plan) == [(2, "price", "the cell holds a formula (=1+2); type its value instead.")]
    rows[0][6] = "199.00"
    imports.run_import(staff, upload(staff, csv_bytes(rows)))
    assert db.session.execute(select(Product.title_en).where(Product.merchant_id == staff.merchant_id)
                              ).scalars().all().count('=HYPERLINK("http://x")') == 1


def test_formula_escaping_rules():
    for risky in ("=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"):
        assert escape_formula(risky) == "'" + risky and unescape_formula(escape_formula(risky)) == risky
    assert escape_formula("Plain") == "Plain" and escape_formula(Decimal("1.5")) == Decimal("1.5")
    assert unescape_formula("'Tis the season") == "'Tis the season"


def test_a_50_mb_file_is_refused_without_reading_it_all(db, lib, staff):
    class Counting(io.RawIOBase):
        """50 MB of CSV that counts what is read from it."""

        def __init__(self):
            self.size, self.read_bytes = 50 * 1024 * 1024, 0

        def readable(self):
            return True

        def readinto(self, buffer):
            n = min(len(buffer), self.size - self.read_bytes)
            buffer[:n] = b"a" * n
            self.read_bytes += n
            return n

    stream = Counting()
    with pytest.raises(imports.ImportRefused, match="larger than 20 MB, the limit for one import; split it"):
        imports.store_import_file(staff, FileStorage(io.BufferedReader(stream), filename="huge.csv"),
                                  staff.merchant_id)
    assert stream.read_bytes <= imports.MAX_BYTES + 1024 * 1024
    assert count(db, StoredFile) == 0


def test_a_gbk_file_is_recognised_and_converted(db, lib, staff):
    data = csv_bytes([["t-1", "Tea cup", "青花瓷茶杯", "电子产品", "", "CUP-1", "35", "CNY", "", "", ""]],
                     encoding="gbk")
    stored, encoding = imports.store_import_file(staff, FileStorage(io.BytesIO(data), filename="gbk.csv"),
                                                 staff.merchant_id)
    assert encoding == "GBK" and stored.content_type == "text/csv"
    imports.run_import(staff, stored)
    cup = db.session.execute(select(Product).where(Product.title_en == "Tea cup")).scalar_one()
    assert cup.title_zh == "青花瓷茶杯" and cup.category_id == lib.electronics.id


def test_a_latin1_file_is_recognised_and_binary_is_refused(db, lib, staff):
    text, encoding = decode_text("Crème brûlée,Café au lait,Señor,Größe\n".encode("latin-1"))
    assert encoding == "Windows-1252" and text.startswith("Crème brûlée")
    assert decode_text("青花瓷茶杯,红茶".encode("gbk")) == ("青花瓷茶杯,红茶", "GBK")
    assert decode_text("ok,ü".encode("utf-8")) == ("ok,ü", "UTF-8")
    with pytest.raises(imports.ImportRefused, match="not a text"):
        imports.store_import_file(staff, FileStorage(io.BytesIO(b"\x00\x01\x02binary"), filename="x.csv"),
                                  staff.merchant_id)


def test_merchant_staff_import_only_into_their_merchant(db, lib, staff, make_product):
    other = create_merchant()
    theirs = make_product(other, colours=["Red"], sizes=["S"], prefix="THEIRS")
    rows = [["p", "Mine", "", "Clothing > Shirts", "", theirs.skus[0].code, "5", "", "Red", "S", ""]]
    stored = upload(staff, csv_bytes(rows), merchant_id=other.id)
    assert stored.merchant_id == staff.merchant_id
    # the other product's id as product_ref does not reach it either
    rows[0][0] = str(theirs.id)
    plan = imports.run_import(staff, upload(staff, csv_bytes(rows)))
    assert plan.count("create") == 1
    assert theirs.skus[0].price == Decimal("99.00") and theirs.title_en == "Linen shirt"
    assert count(db, Sku, Sku.code == theirs.skus[0].code) == 2
    assert imports.import_file(create_user("merchant_admin", staff.merchant), stored.id) is None


def test_review_new_and_changed_products_wait_for_review(db, lib, staff, review_on, make_product):
    merchant = staff.merchant
    listed = make_product(merchant, colours=["Red"], sizes=["S"], prefix="LIVE")
    shelf.put_on_shelf(None, listed)
    code = listed.skus[0].code
    rows = [[str(listed.id), "Linen shirt v2", "", "Clothing > Shirts", "Acme", code, "99.00", "", "Red", "S", ""],
            ["new", "Brand new", "", "Clothing > Shirts", "", "NEW-1", "10", "", "Red", "S", ""]]
    imports.run_import(staff, upload(staff, csv_bytes(rows)))
    new = db.session.execute(select(Product).where(Product.title_en == "Brand new")).scalar_one()
    assert new.review_status == "pending"
    assert (listed.title_en, listed.review_status, listed.shelf_status) == ("Linen shirt v2", "pending", "off")
    # a price change alone is not content: no review
    shelf_ready = make_product(merchant, colours=["Blue"], sizes=["S"], prefix="PRICE")
    shelf_ready.review_status = "approved"
    rows = [[str(shelf_ready.id), "Linen shirt", "亚麻衬衫", "Clothing > Shirts", "Acme", shelf_ready.skus[0].code,
             "77.00", "", "Blue", "S", ""]]
    plan = imports.run_import(staff, upload(staff, csv_bytes(rows)))
    assert plan.count("update") == 1 and shelf_ready.skus[0].price == Decimal("77.00")
    assert shelf_ready.review_status == "approved"


def _export(actor, fmt="csv", **filters):
    export = exports.Export(actor, queries.ProductFilters(**filters))
    if fmt == "csv":
        return "".join(exports.csv_chunks(export)).encode("utf-8")
    path = io.BytesIO()
    exports.write_xlsx(path, export.header, export.rows(money_as_text=False))
    return path.getvalue()


def test_csv_export_escapes_formulas_and_reimports_unchanged(db, lib, staff, make_product):
    merchant = staff.merchant
    product = make_product(merchant, colours=["Red", "Blue"], sizes=["S"], prefix="EXP",
                           title_en="=cmd|' /C calc'!A0", title_zh="@危险")
    make_product(create_merchant(), colours=["Red"], prefix="NOTMINE", title_en="Not mine")
    data = _export(staff)
    text = data.decode("utf-8")
    assert text.startswith("\ufeffproduct_ref,title_en,")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3 and "Not mine" not in text
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][2] == "'@危险"
    assert rows[1][rows[0].index("category")] == "Clothing > Shirts"
    plan = imports.run_import(staff, upload(staff, data))
    assert (plan.count("unchanged"), plan.skus_updated, plan.skus_created) == (1, 0, 0)
    assert product.title_en == "=cmd|' /C calc'!A0"


def test_xlsx_round_trip(db, lib, staff, make_product):
    merchant = staff.merchant
    product = make_product(merchant, colours=["Red", "Green"], sizes=["M"], prefix="XL", title_en="+Plus shirt")
    data = _export(staff, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("title_en") + 1).value == "'+Plus shirt"
    assert sheet.cell(2, header.index("price") + 1).value == 99  # a number, as spreadsheets sum it
    stored = upload(staff, data, name="products.xlsx")
    assert stored.content_type.endswith("spreadsheetml.sheet")
    plan = imports.run_import(staff, stored)
    assert (plan.count("unchanged"), plan.skus_updated) == (1, 0)
    # edited in a spreadsheet: a price as a number, a new row
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    new_row = [c.value for c in sheet[2]]
    sheet.cell(2, header.index("price") + 1).value = 88.5
    new_row[header.index("sku_code")] = "XL-BLUE-M"
    new_row[header.index("spec:colour")] = "Blue"
    sheet.append(new_row)
    out = io.BytesIO()
    book.save(out)
    plan = imports.run_import(staff, upload(staff, out.getvalue(), name="edited.xlsx"))
    assert (plan.count("update"), plan.skus_created, plan.skus_updated) == (1, 1, 1)
    assert sorted(s.price for s in product.skus) == [Decimal("88.50"), Decimal("99.00"), Decimal("99.00")]


def test_an_xlsx_formula_cell_is_refused(db, lib, staff):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["p", "Shirt", "", "Clothing > Shirts", "", "F-1", "=2*50", "", "Red", "S", ""])
    out = io.BytesIO()
    book.save(out)
    plan = check(staff, out.getvalue(), name="f.xlsx")
    assert issues(plan) == [(2, "price", "the cell holds a formula (=2*50); type its value instead.")]
