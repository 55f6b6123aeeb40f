"""The demo catalog: big enough to show every page, bilingual, following the
catalog's rules, with stored pictures, and the same on every run."""
import os
from collections import Counter

from sqlalchemy import func, select

from plugins.catalog.demo import load_demo
from plugins.catalog.models import Brand, Category, Product, Sku
from plugins.catalog.services import library, skus
from portal import uploads
from portal.models import Merchant
from tests.conftest import create_merchant


def _merchants():
    return [create_merchant(code, default_currency="EUR" if code == "BLUE" else "CNY")
            for code in ("ACME", "BLUE", "PANDA")]


def _fingerprint(db):
    rows = db.session.execute(select(Product.title_en, Product.title_zh, Product.shelf_status, Product.review_status,
                                     Sku.code, Sku.price, Sku.barcode, Sku.weight_g)
                              .join(Sku, Sku.product_id == Product.id).order_by(Sku.code)).all()
    return [tuple(str(v) for v in row) for row in rows]


def test_the_demo_catalog(db):
    merchants = _merchants()
    lines = []
    stats = load_demo(merchants, lines.append)
    assert lines[0].startswith("Catalog: 16 categories, 20 brands, 200 products")
    count = lambda model: db.session.execute(select(func.count()).select_from(model)).scalar()  # noqa: E731
    assert count(Category) >= 10 and count(Brand) == 20 and count(Product) >= 200 and count(Sku) >= 800
    assert max(c.depth for c in db.session.execute(select(Category)).scalars()) >= 2
    per_merchant = Counter(db.session.execute(select(Product.merchant_id)).scalars())
    assert set(per_merchant) == {m.id for m in merchants} and min(per_merchant.values()) >= 50
    assert stats["on"] >= 80 and stats["pending"] >= 10 and stats["rejected"] >= 1

    leaves = {cid for cid, _label in library.leaf_choices()}
    for product in db.session.execute(select(Product)).scalars():
        assert product.title_zh and product.description_zh and product.category_id in leaves
        assert len(product.images) == 1 and os.path.exists(uploads.stored_path(product.images[0].file))
        chosen = Counter(sv.attribute_id for sv in product.spec_values)
        expected = 1
        for n in chosen.values():
            expected *= n
        assert len(product.skus) == expected >= 2
        for sku in product.skus:
            assert skus.SKU_CODE.match(sku.code) and sku.currency == product.merchant.default_currency
            assert sku.spec_key == skus.spec_key([o.value for o in sku.options])
            assert sku.list_price is None or sku.list_price >= sku.price
            assert len(sku.barcode) == 13 and sku.hs_code and sku.weight_g
        if product.shelf_status == "on":
            assert product.review_status == "approved"
    assert all(b.logo is not None for b in db.session.execute(select(Brand)).scalars())


def test_the_demo_is_the_same_on_every_run(db):
    merchants = _merchants()
    first = db.session.begin_nested()
    load_demo(merchants, lambda line: None)
    fingerprint = _fingerprint(db)
    first.rollback()
    db.session.expunge_all()  # rows of the rolled-back run must not linger in the identity map
    assert db.session.execute(select(func.count()).select_from(Product)).scalar() == 0
    load_demo([db.session.get(Merchant, m.id) for m in merchants], lambda line: None)
    assert _fingerprint(db) == fingerprint


def test_the_demo_adds_nothing_to_an_existing_library(db, lib):
    lines = []
    assert load_demo(_merchants(), lines.append) is None
    assert "no demo catalog was added" in lines[0]
    assert db.session.execute(select(func.count()).select_from(Product)).scalar() == 0
