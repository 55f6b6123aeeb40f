"""Import and export pages through the client: upload, preview with every
problem, confirm; the size limit; other users' files; export rights and scope."""
import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from plugins.catalog.models import Product, Sku
from portal.models import StoredFile
from tests.conftest import create_merchant
from tests.plugins.catalog.test_catalog_import import HEADER, SHIRT_ROWS, csv_bytes
from tests.plugins.catalog.test_catalog_shopify import MUG, SHIRT, export


def count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def post_file(client, data, name="products.csv", **form):
    return client.post("/catalog/import/", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def test_upload_preview_and_confirm(client, login_as, lib, db):
    merchant = create_merchant()
    login_as("merchant_staff", merchant)
    page = client.get("/catalog/import/").get_data(as_text=True)
    assert 'data-testid="import-columns"' in page and "spec:&lt;code&gt;" in page and "sku_code" in page
    r = post_file(client, csv_bytes(SHIRT_ROWS))
    assert r.status_code == 302
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="import-ready"' in preview
    assert "2 product(s) to create, 0 to update, 0 unchanged; 4 SKU(s) to create" in preview
    assert count(db, Product) == 0, "the preview writes nothing"
    file_id = re.search(r"/catalog/import/(\d+)", r.headers["Location"]).group(1)
    done = client.post(f"/catalog/import/{file_id}", data={"format": "portal"}, follow_redirects=True)
    assert "2 product(s) created" in done.get_data(as_text=True)
    assert count(db, Product) == 2 and count(db, Sku) == 4
    products = db.session.execute(select(Product)).scalars().all()
    assert {p.merchant_id for p in products} == {merchant.id}


def test_the_preview_lists_every_problem_with_row_and_column(client, login_as, lib, db):
    login_as("merchant_staff", create_merchant())
    rows = [list(r) for r in SHIRT_ROWS]
    rows[0][6], rows[3][3] = "1O.00", "Shoes"
    r = post_file(client, csv_bytes(rows))
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "2 problems; nothing can be imported until they are corrected." in preview
    table = re.sub(r"\s+", " ", preview[preview.index('data-testid="import-issues"'):])
    assert "<td>2</td><td class=\"text-monospace\">price</td><td>&#39;1O.00&#39; is not a number.</td>" in table
    assert "<td>5</td><td class=\"text-monospace\">category</td><td>no category named Shoes" in table
    assert 'data-testid="import-confirm"' not in preview
    file_id = re.search(r"/catalog/import/(\d+)", r.headers["Location"]).group(1)
    again = client.post(f"/catalog/import/{file_id}", data={"format": "portal"})
    assert again.status_code == 400 and count(db, Product) == 0


def test_a_50_mb_upload_is_refused_with_a_clear_message(client, login_as, lib, db):
    login_as("merchant_admin", create_merchant())
    big = b"product_ref,title_en\n" + b"x" * (50 * 1024 * 1024)
    r = post_file(client, big, name="huge.csv")
    assert r.status_code == 413
    assert "larger than 20 MB, the limit for one import; split it into smaller files." in r.get_data(as_text=True)
    assert count(db, StoredFile) == 0


def test_a_wrong_file_type_and_a_gbk_file(client, login_as, lib, db):
    login_as("merchant_admin", create_merchant())
    r = post_file(client, b"%PDF-1.7 not a sheet", name="catalog.pdf")
    assert r.status_code == 400 and "is not an allowed type" in r.get_data(as_text=True)
    gbk = csv_bytes([["t-1", "Tea cup", "青花瓷茶杯", "电子产品", "", "CUP-1", "35", "CNY", "", "", ""]],
                    encoding="gbk")
    r = post_file(client, gbk, name="gbk.csv")
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "was read as GBK text and converted to UTF-8" in preview and 'data-testid="import-ready"' in preview


def test_another_users_file_answers_404(client, login_as, login, lib, db):
    from tests.conftest import create_user
    merchant = create_merchant()
    login_as("merchant_admin", merchant)
    r = post_file(client, csv_bytes(SHIRT_ROWS))
    location = r.headers["Location"]
    login(create_user("merchant_admin", create_merchant()))
    assert client.get(location).status_code == 404
    assert client.post(location.split("?")[0], data={"format": "portal"}).status_code == 404


def test_platform_staff_choose_the_merchant(client, login_as, lib, db):
    merchant = create_merchant()
    login_as("platform_operator")
    r = post_file(client, csv_bytes(SHIRT_ROWS))
    assert r.status_code == 400 and "choose the merchant to import into" in r.get_data(as_text=True)
    r = post_file(client, csv_bytes(SHIRT_ROWS), merchant_id=str(merchant.id))
    file_id = re.search(r"/catalog/import/(\d+)", r.headers["Location"]).group(1)
    client.post(f"/catalog/import/{file_id}", data={"format": "portal"})
    assert {p.merchant_id for p in db.session.execute(select(Product)).scalars()} == {merchant.id}


def test_shopify_types_are_mapped_on_the_preview(client, login_as, lib, db):
    login_as("merchant_admin", create_merchant())
    r = post_file(client, export(SHIRT + MUG), name="products_export.csv", format="shopify")
    location = r.headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert 'data-testid="type-map"' in preview and 'name="map.Gadgets"' in preview
    assert "no category is chosen for the type Gadgets" in preview
    mapped = client.get(f"{location}&map.Gadgets={lib.electronics.id}").get_data(as_text=True)
    assert 'data-testid="import-ready"' in mapped
    assert f'<input type="hidden" name="map.Gadgets" value="{lib.electronics.id}">' in mapped
    client.post(location.split("?")[0], data={"format": "shopify", "map.Gadgets": lib.electronics.id})
    assert count(db, Product) == 2


def test_export_csv_and_xlsx_for_the_merchant_admin_only(client, login_as, login, lib, make_product, db):
    from tests.conftest import create_user
    merchant, other = create_merchant(), create_merchant()
    make_product(merchant, colours=["Red", "Blue"], prefix="MINE", title_en="=1+1 shirt")
    make_product(other, colours=["Red"], prefix="THEIRS", title_en="Their shirt")
    login(create_user("merchant_staff", merchant))
    assert client.get("/catalog/export/?format=csv").status_code == 403
    assert 'data-testid="export-products-csv"' not in client.get("/catalog/products/").get_data(as_text=True)
    login(create_user("merchant_admin", merchant))
    assert 'data-testid="export-products-csv"' in client.get("/catalog/products/").get_data(as_text=True)
    r = client.get("/catalog/export/?format=csv&q=shirt")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:len(HEADER) - 3] == HEADER[:2] + ["title_zh", "description_en", "description_zh",
                                                       "category", "brand", "sku_code"]
    assert len(rows) == 3 and {row[1] for row in rows[1:]} == {"'=1+1 shirt"}
    x = client.get("/catalog/export/?format=xlsx")
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.get_data())).worksheets[0]
    assert sheet.max_row == 3 and sheet.cell(2, 2).value == "'=1+1 shirt"
    assert client.get("/catalog/export/?format=pdf").status_code == 404


def test_import_pages_answer_404_while_the_plugin_is_off(client, login_as, app, db, lib):
    kernel = app.extensions["portal.plugins"]
    login_as("platform_admin")
    # plugins that require the catalog go off first (the kernel refuses otherwise)
    order = _dependents_first(kernel, "catalog")
    for name in order:
        kernel.set_enabled(name, False)
    db.session.commit()
    try:
        assert client.get("/catalog/import/").status_code == 404
        assert client.get("/catalog/export/?format=csv").status_code == 404
    finally:
        for name in reversed(order):
            kernel.set_enabled(name, True)
        db.session.commit()
    assert client.get("/catalog/import/").status_code == 200


def _dependents_first(kernel, name):
    order = []
    for dependent in kernel.dependents(name):
        order += [n for n in _dependents_first(kernel, dependent) if n not in order]
    return order + [name]
