"""Content fixtures: a small catalog (a category tree, a brand, products of
two merchants, on and off the shelf) and a store homepage with floors.

``shop``: merchants ``m`` and ``other``; categories ``tea`` > ``green``;
brand ``brand``; products ``p1``, ``p2`` (m's, on the shelf, in green),
``off`` (m's, off the shelf) and ``theirs`` (other's, on the shelf).
"""
import io
from types import SimpleNamespace

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from plugins.catalog.models import Brand, Category, Product, Sku
from tests.conftest import create_merchant


@pytest.fixture(autouse=True)
def fresh_storefront_cache(app):
    """Each test rolls back, rewinding the content counter its cache is keyed
    on: a later test would otherwise read an earlier test's answers."""
    app.extensions.pop("content.storefront_cache", None)
    yield
    app.extensions.pop("content.storefront_cache", None)


def make_product(db, merchant, category, title, on_shelf=True, price="10.00"):
    product = Product(merchant_id=merchant.id, category=category, title_en=title, title_zh=title,
                      shelf_status="on" if on_shelf else "off")
    db.session.add(Sku(product=product, merchant_id=merchant.id, code=f"C{title.replace(' ', '')}{merchant.id}",
                       price=price, currency="CNY"))
    db.session.flush()
    return product


@pytest.fixture()
def shop(db):
    m, other = create_merchant(), create_merchant()
    tea = Category(name_en="Tea", name_zh="茶")
    db.session.add(tea)
    db.session.flush()
    tea.path = f"/{tea.id}/"
    green = Category(name_en="Green tea", name_zh="绿茶", parent_id=tea.id, depth=1)
    db.session.add(green)
    db.session.flush()
    green.path = f"{tea.path}{green.id}/"
    brand = Brand(name_en=f"Leaf {m.id}", name_zh="叶")
    db.session.add(brand)
    db.session.flush()
    return SimpleNamespace(m=m, other=other, tea=tea, green=green, brand=brand,
                           p1=make_product(db, m, green, "Longjing", price="88.00"),
                           p2=make_product(db, m, green, "Biluochun"),
                           off=make_product(db, m, green, "Old stock", on_shelf=False),
                           theirs=make_product(db, other, tea, "Puer"))


def png_upload(name="banner.png", size=(40, 20)):
    """A real PNG as a form upload."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    out.seek(0)
    return FileStorage(out, filename=name, content_type="image/png")


def fake_upload(name="banner.png", data=b"not a picture at all"):
    """Bytes that claim to be a picture."""
    return FileStorage(io.BytesIO(data), filename=name, content_type="image/png")
