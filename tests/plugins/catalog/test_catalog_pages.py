"""Catalog pages through the client: what each user sees, status codes, HTMX partials."""
import re
from decimal import Decimal

from sqlalchemy import func, select

from plugins.catalog.models import Product, Sku
from plugins.catalog.services import shelf
from portal.models import AuditLog
from tests.conftest import create_merchant

HX = {"HX-Request": "true"}


def _count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_merchant_staff_create_a_product_with_two_spec_attributes(client, login_as, lib, db):
    merchant = create_merchant()
    login_as("merchant_staff", merchant)
    page = client.get(f"/catalog/products/new?category_id={lib.shirts.id}").get_data(as_text=True)
    assert 'data-testid="spec-colour-Red"' in page and "Material" in page
    r = client.post("/catalog/products/new", data={
        "title_en": "Oxford shirt", "title_zh": "牛津衬衫", "category_id": lib.shirts.id, "brand_id": lib.brand.id,
        "description_en": "<p>Crisp<script>x()</script></p>", "spec_values": [lib.v["Red"].id, lib.v["Blue"].id,
                                                                              lib.v["S"].id],
        f"param_{lib.origin.id}": "Suzhou", "code_prefix": "OX", "price": "199.00"})
    assert r.status_code == 302, r.get_data(as_text=True)
    product = db.session.execute(select(Product).where(Product.title_en == "Oxford shirt")).scalar_one()
    assert product.merchant_id == merchant.id and product.description_en == "<p>Crisp</p>"
    assert sorted(s.code for s in product.skus) == ["OX-BLUE-S", "OX-RED-S"]
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Product created with 2 SKU(s)." in detail and "OX-RED-S" in detail and "Suzhou" in detail


def test_bad_input_is_named_and_nothing_is_written(client, login_as, lib, db):
    merchant = create_merchant()
    login_as("merchant_staff", merchant)
    before = (_count(db, Product), _count(db, Sku))
    r = client.post("/catalog/products/new", data={
        "title_en": "Shirt", "category_id": lib.shirts.id, "spec_values": [lib.v["Red"].id],
        "code_prefix": "BAD", "price": "12.345"})
    assert r.status_code == 200
    assert "Price: CNY amounts have at most 2 decimal(s)" in r.get_data(as_text=True)
    assert (_count(db, Product), _count(db, Sku)) == before


def test_the_attribute_fields_follow_the_chosen_category(client, login_as, lib):
    login_as("merchant_staff", create_merchant())
    r = client.get(f"/catalog/products/attributes?category_id={lib.shirts.id}&with_specs=1", headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith('<div id="attribute-fields">')
    assert "Colour" in body and "<html" not in body
    assert "Colour" not in client.get(f"/catalog/products/attributes?category_id={lib.electronics.id}&with_specs=1",
                                      headers=HX).get_data(as_text=True)


def test_another_merchants_product_answers_404_everywhere(client, login_as, lib, make_product):
    mine, other = create_merchant(), create_merchant()
    theirs = make_product(other, title_en="Their secret product", prefix="T")
    login_as("merchant_admin", mine)
    assert "Their secret product" not in client.get("/catalog/products/").get_data(as_text=True)
    assert client.get(f"/catalog/products/?merchant={other.id}&q=secret").status_code == 200
    sku = theirs.skus[0]
    for method, url in [("get", f"/catalog/products/{theirs.id}"), ("post", f"/catalog/products/{theirs.id}"),
                        ("post", f"/catalog/products/{theirs.id}/shelf"),
                        ("post", f"/catalog/products/{theirs.id}/schedule"),
                        ("post", f"/catalog/products/{theirs.id}/specs"),
                        ("get", f"/catalog/skus/{sku.id}"), ("post", f"/catalog/skus/{sku.id}/price"),
                        ("get", f"/catalog/skus/{sku.id}/price/cell"),
                        ("post", f"/catalog/images/product/{theirs.id}")]:
        assert getattr(client, method)(url).status_code == 404, url
    r = client.post("/catalog/products/bulk", data={"ids": [theirs.id], "action": "on"})
    assert r.status_code == 302 and theirs.shelf_status == "off"


def test_htmx_shelf_toggle_returns_the_badge(client, login_as, lib, make_product, db):
    merchant = create_merchant()
    product = make_product(merchant, prefix="H")
    login_as("merchant_staff", merchant)
    r = client.post(f"/catalog/products/{product.id}/shelf", headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "On the shelf" in body and "<html" not in body
    assert "HX-Request" in r.headers.get("Vary", "")
    db.session.expire_all()
    assert db.session.get(Product, product.id).shelf_status == "on"
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "catalog.product.list")).first()
    assert "Off the shelf" in client.post(f"/catalog/products/{product.id}/shelf", headers=HX).get_data(as_text=True)


def test_list_rows_and_the_htmx_toggle_show_the_same_badge_and_links(client, login_as, lib, make_product, db):
    merchant = create_merchant()
    product = make_product(merchant, prefix="RM")
    login_as("merchant_staff", merchant)
    toggled = client.post(f"/catalog/products/{product.id}/shelf", headers=HX).get_data(as_text=True)
    rows = client.get("/catalog/products/", headers=HX).get_data(as_text=True)

    def toggle(html):
        found = re.search(rf'<span id="shelf-{product.id}".*?</button>', html, re.S)
        return found and " ".join(found.group(0).split())
    assert toggle(rows) and toggle(rows) == toggle(toggled)
    assert f'hx-post="/catalog/products/{product.id}/shelf"' in rows and "Take off" in rows
    assert f'<a href="/catalog/products/{product.id}">' in rows
    assert 'data-testid="review-status">Approved<' in rows


def test_htmx_shelf_toggle_shows_why_it_refuses(client, login_as, lib, make_product, review_on, db):
    merchant = create_merchant()
    staff = login_as("merchant_staff", merchant)
    product = make_product(merchant, actor=staff, prefix="W")
    db.session.commit()  # the refused toggle rolls back; keep the set-up
    r = client.post(f"/catalog/products/{product.id}/shelf", headers=HX)
    assert r.status_code == 200 and "only approved products go on the shelf" in r.get_data(as_text=True)
    assert product.shelf_status == "off"


def test_inline_price_edit(client, login_as, lib, make_product, db):
    merchant = create_merchant()
    sku = make_product(merchant, prefix="IP").skus[0]
    login_as("merchant_staff", merchant)
    form = client.get(f"/catalog/skus/{sku.id}/price", headers=HX).get_data(as_text=True)
    assert 'name="price"' in form and 'value="99.00"' in form
    r = client.post(f"/catalog/skus/{sku.id}/price", data={"price": "79.90"}, headers=HX)
    assert r.status_code == 200 and "79.90" in r.get_data(as_text=True) and "<form" not in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Sku, sku.id).price == Decimal("79.90")
    bad = client.post(f"/catalog/skus/{sku.id}/price", data={"price": "-5"}, headers=HX)
    assert bad.status_code == 200 and "Price: must not be negative" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Sku, sku.id).price == Decimal("79.90")


def test_sku_edit_page(client, login_as, lib, make_product, db):
    merchant = create_merchant()
    sku = make_product(merchant, prefix="SE").skus[0]
    login_as("merchant_staff", merchant)
    assert "SKU SE" in client.get(f"/catalog/skus/{sku.id}").get_data(as_text=True)
    data = {"code": "SE-1", "barcode": "4006381333931", "price": "10", "list_price": "12", "currency": "CNY",
            "weight_g": "250", "length_mm": "300", "width_mm": "200", "height_mm": "20", "hs_code": "6205.20",
            "origin_country": "cn"}
    assert client.post(f"/catalog/skus/{sku.id}", data=data).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Sku, sku.id)
    assert (saved.code, saved.hs_code, saved.origin_country, saved.weight_g) == ("SE-1", "620520", "CN", 250)
    r = client.post(f"/catalog/skus/{sku.id}", data={**data, "origin_country": "ZZ"})
    assert "Country of origin: ZZ" in r.get_data(as_text=True)


def test_bulk_form_and_list_filters(client, login_as, lib, make_product):
    merchant = create_merchant()
    a, b = make_product(merchant, title_en="Alpha", prefix="A"), make_product(merchant, title_en="Beta", prefix="B")
    login_as("merchant_staff", merchant)
    r = client.post("/catalog/products/bulk", data={"ids": [a.id, b.id], "action": "on"}, follow_redirects=True)
    assert "2 product(s) changed." in r.get_data(as_text=True)
    assert (a.shelf_status, b.shelf_status) == ("on", "on")
    shelf.take_off_shelf(None, b)
    rows = client.get("/catalog/products/?shelf=on", headers=HX).get_data(as_text=True)
    assert "Alpha" in rows and "Beta" not in rows and "<html" not in rows
    assert "Beta" in client.get("/catalog/products/?q=bet").get_data(as_text=True)


def test_schedule_form_converts_from_the_users_time_zone(client, login_as, lib, make_product, db):
    merchant = create_merchant()
    product = make_product(merchant, prefix="S")
    login_as("merchant_staff", merchant)
    r = client.post(f"/catalog/products/{product.id}/schedule", data={"scheduled_on": "2999-01-01T08:00"})
    assert r.status_code == 302
    db.session.expire_all()
    # the user's zone is Asia/Shanghai (UTC+8)
    assert db.session.get(Product, product.id).scheduled_on_at.isoformat() == "2999-01-01T00:00:00"
    r = client.post(f"/catalog/products/{product.id}/schedule", data={"scheduled_on": "2000-01-01T08:00"},
                    follow_redirects=True)
    assert "must be in the future" in r.get_data(as_text=True)


def test_review_pages(client, login_as, lib, make_product, review_on, db, login):
    from tests.conftest import create_user
    merchant = create_merchant()
    staff = create_user("merchant_staff", merchant)
    product = make_product(merchant, actor=staff, title_en="Needs a look", prefix="R")
    login(create_user("platform_operator"))
    assert "Needs a look" in client.get("/catalog/review/").get_data(as_text=True)
    db.session.commit()
    r = client.post(f"/catalog/review/{product.id}/reject", data={"reason": ""}, follow_redirects=True)
    assert "Reason: required" in r.get_data(as_text=True) and product.review_status == "pending"
    client.post(f"/catalog/review/{product.id}/reject", data={"reason": "Blurry photos"})
    assert (product.review_status, product.review_reason) == ("rejected", "Blurry photos")
    client.post("/logout")
    login(staff)
    assert "Blurry photos" in client.get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert client.get("/catalog/review/").status_code == 403
    assert client.post(f"/catalog/review/{product.id}/approve").status_code == 403


def test_library_pages_are_read_only_for_merchants(client, login_as, lib, db):
    login_as("merchant_admin", create_merchant())
    page = client.get("/catalog/categories/").get_data(as_text=True)
    assert "Shirts" in page and 'data-testid="category-form"' not in page
    assert "Colour" in client.get(f"/catalog/categories/{lib.shirts.id}").get_data(as_text=True)
    assert client.post("/catalog/categories/new", data={"name_en": "Mine"}).status_code == 403
    assert client.post("/catalog/brands/new", data={"name_en": "Mine"}).status_code == 403


def test_platform_keeps_the_library_through_the_pages(client, login_as, lib, db):
    login_as("platform_operator")
    r = client.post("/catalog/categories/new", data={"name_en": "Shoes", "name_zh": "鞋", "parent_id": ""})
    assert r.status_code == 302
    shoes_id = int(re.search(r"/catalog/categories/(\d+)", r.headers["Location"]).group(1))
    r = client.post(f"/catalog/categories/{shoes_id}/attributes", data={
        "code": "shoe_size", "name_en": "Shoe size", "kind": "spec", "values": "38\n39 | 39码"},
        follow_redirects=True)
    assert "Saved." in r.get_data(as_text=True) and "38, 39" in r.get_data(as_text=True)
    r = client.post(f"/catalog/categories/{lib.clothing.id}/move", data={"parent_id": lib.shirts.id},
                    follow_redirects=True)
    assert "lies under it" in r.get_data(as_text=True)
    assert client.post("/catalog/brands/new", data={"name_en": "Northwind"}).status_code == 302
    assert "Northwind" in client.get("/catalog/brands/").get_data(as_text=True)


def test_dashboard_widget_and_menu(client, login_as, lib, make_product):
    merchant = create_merchant()
    shelf.put_on_shelf(None, make_product(merchant, prefix="D"))
    login_as("merchant_staff", merchant)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="catalog-widget"' in page and "Products on the shelf" in page
    assert 'data-menu="catalog_products"' in page and 'data-menu="catalog_review"' not in page


def test_plugin_disabled_answers_404_and_leaves_the_menu(client, login_as, app, db, lib):
    kernel = app.extensions["portal.plugins"]
    login_as("platform_admin")
    assert 'data-menu="catalog_products"' in client.get("/").get_data(as_text=True)
    # plugins that require the catalog (inventory, and what requires it) must go off first:
    # the kernel refuses otherwise
    order = _dependents_first(kernel, "catalog")
    for name in order:
        kernel.set_enabled(name, False)
    db.session.commit()
    for url in ("/catalog/products/", "/catalog/review/", "/catalog/categories/", "/catalog/brands/",
                "/catalog/products/new"):
        assert client.get(url).status_code == 404, url
    page = client.get("/").get_data(as_text=True)
    assert 'data-menu="catalog_products"' not in page and 'data-testid="catalog-widget"' not in page
    for name in reversed(order):
        kernel.set_enabled(name, True)
    db.session.commit()
    assert client.get("/catalog/products/").status_code == 200


def test_finance_reads_products_but_cannot_change_them(client, login_as, lib, make_product):
    product = make_product(create_merchant(), prefix="F")
    login_as("finance")
    assert client.get(f"/catalog/products/{product.id}").status_code == 200
    assert client.post(f"/catalog/products/{product.id}/shelf").status_code == 403
    assert client.get("/catalog/products/new").status_code == 403


def _png(colour=(200, 30, 30), size=(600, 400)):
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    out.seek(0)
    return out


def test_images_are_checked_stored_thumbnailed_and_kept_to_their_merchant(client, login_as, login, lib,
                                                                          make_product, db):
    from tests.conftest import create_user
    merchant, other = create_merchant(), create_merchant()
    product = make_product(merchant, prefix="IMG")
    staff = create_user("merchant_staff", merchant)
    login(staff)
    r = client.post(f"/catalog/images/product/{product.id}", data={"image": (_png(), "red.png")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "Image added." in r.get_data(as_text=True)
    db.session.expire_all()
    image = db.session.get(Product, product.id).images[0]
    full = client.get(f"/catalog/images/{image.id}")
    thumb = client.get(f"/catalog/images/{image.id}?thumb=1")
    assert full.status_code == 200 and full.mimetype == "image/png"
    from PIL import Image
    import io
    assert Image.open(io.BytesIO(thumb.data)).size == (240, 160)
    r = client.post(f"/catalog/images/product/{product.id}",
                    data={"image": (io.BytesIO(b"<svg onload=alert(1)>"), "evil.png")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "Image: evil.png is not an allowed type" in r.get_data(as_text=True)
    assert len(db.session.get(Product, product.id).images) == 1
    client.post("/logout")
    login(create_user("merchant_staff", other))
    assert client.get(f"/catalog/images/{image.id}").status_code == 404
    assert client.post(f"/catalog/images/{image.id}/delete").status_code == 404


def test_brand_logo_upload(client, login_as, lib, db):
    login_as("platform_operator")
    r = client.post("/catalog/brands/new", data={"name_en": "Logo Co", "logo": (_png(size=(50, 50)), "logo.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    from plugins.catalog.models import Brand
    brand = db.session.execute(select(Brand).where(Brand.name_en == "Logo Co")).scalar_one()
    assert brand.logo is not None and brand.logo.content_type == "image/png"
    assert client.get(f"/catalog/images/brand/{brand.id}?thumb=1").status_code == 200


def test_product_edit_page_names_the_field_and_keeps_the_product(client, login_as, lib, make_product, db):
    merchant = create_merchant()
    product = make_product(merchant, title_en="Original", prefix="E")
    login_as("merchant_staff", merchant)
    r = client.post(f"/catalog/products/{product.id}", data={"title_en": "", "category_id": lib.shirts.id})
    assert r.status_code == 200 and "Title (English): required" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Product, product.id).title_en == "Original"
    r = client.post(f"/catalog/products/{product.id}", data={"title_en": "Renamed", "category_id": lib.shirts.id,
                                                             f"param_{lib.material.id}": lib.material.values[0].id})
    assert r.status_code == 302
    db.session.expire_all()
    assert [p.display for p in db.session.get(Product, product.id).params] == ["Cotton"]
    r = client.post(f"/catalog/products/{product.id}/specs", data={"spec_values": [lib.v["Red"].id],
                                                                   "code_prefix": "E", "price": "1"},
                    follow_redirects=True)
    assert "no spec attributes" in r.get_data(as_text=True)


def test_platform_pages_for_review_brand_and_category_render(client, login_as, lib, make_product, review_on):
    from tests.conftest import create_user
    merchant = create_merchant()
    product = make_product(merchant, actor=create_user("merchant_staff", merchant), prefix="PR",
                           description_en="<p>Nice <em>shirt</em></p>")
    login_as("platform_operator")
    page = client.get(f"/catalog/review/{product.id}").get_data(as_text=True)
    assert "<p>Nice <em>shirt</em></p>" in page and 'data-testid="approve"' in page
    r = client.post(f"/catalog/review/{product.id}/approve", follow_redirects=True)
    assert "Approved: Linen shirt." in r.get_data(as_text=True) and product.review_status == "approved"
    assert 'data-testid="brand-edit"' in client.get(f"/catalog/brands/{lib.brand.id}").get_data(as_text=True)
    page = client.get(f"/catalog/categories/{lib.shirts.id}").get_data(as_text=True)
    assert 'data-testid="attribute-form"' in page and "from Clothing" in page
    assert client.get("/catalog/categories/999999").status_code == 404


def test_the_review_setting_is_on_the_platform_settings_page(client, login_as):
    login_as("platform_admin")
    assert "Review products before they go on sale" in client.get("/settings/").get_data(as_text=True)


def _dependents_first(kernel, name):
    order = []
    for dependent in kernel.dependents(name):
        order += [n for n in _dependents_first(kernel, dependent) if n not in order]
    return order + [name]
