"""The catalog's demo data (``flask portal demo``): a bilingual library (a
category tree with spec attributes and parameters, twenty brands with logos)
and about two hundred products with their SKUs for the three demo merchants,
each with a picture drawn by ``demo_images``. Most are on the shelf, some wait
for review, a few were rejected or are scheduled.

The library is built through the catalog's services; products are built as
rows directly (the services would check and audit each one, several times too
slow for a demo that must load in seconds) following the same rules, which
tests/plugins/catalog/test_catalog_demo.py checks. Listing goes through the
shelf service, so ``ProductListed`` reaches other plugins. A seeded random
generator makes every run give the same catalog. Pictures are stored through
``portal.uploads`` like any upload, each one once.
"""
import io
import itertools
import random
import re
from collections import Counter
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from portal import uploads
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from .demo_data import ASSORTMENT, BRANDS, CATEGORIES, ORIGINS, PRODUCT_KINDS, REJECT_REASONS
from .demo_images import brand_logo, product_picture
from .models import (PARAM, REVIEW_APPROVED, REVIEW_PENDING, REVIEW_REJECTED, SPEC, Category, Product, ProductImage,
                     ProductParam, ProductSpecValue, Sku, SkuOption)
from .services import images, library, products, shelf, skus

SEED = 20260501
COUNTRY_NAMES = {"CN": "China", "VN": "Vietnam", "DE": "Germany", "JP": "Japan", "PT": "Portugal", "IT": "Italy"}


def load_demo(merchants, echo):
    """Create the demo catalog for the demo ``merchants`` (by code: ACME,
    BLUE, PANDA); does nothing when the catalog already has categories."""
    if db.session.execute(select(Category.id).limit(1)).first() is not None:
        echo("Catalog: the library exists already; no demo catalog was added.")
        return None
    rng = random.Random(SEED)
    context = DemoContext(_library(), _brands(rng))
    stats = Counter()
    by_code = {m.code: m for m in merchants}
    for code, assortment in ASSORTMENT.items():
        merchant = by_code.get(code)
        if merchant is None:
            continue
        number = 0
        for kind, count in assortment:
            for _ in range(count):
                number += 1
                stats.update(ProductBuilder(rng, context, merchant, kind, number).build())
    record("catalog.demo", target="demo", plugin="catalog", actor="demo",
           summary={"products": stats["products"], "skus": stats["skus"], "pictures": len(context.pictures)})
    echo(f"Catalog: {len(context.categories)} categories, {len(context.brands)} brands, {stats['products']} "
         f"products, {stats['skus']} SKUs ({stats['on']} on the shelf, {stats[REVIEW_PENDING]} waiting for review).")
    return stats


class DemoContext:
    """What every demo product draws on: the library, and the pictures drawn
    so far (the same picture is stored once and shared)."""

    def __init__(self, categories, brands):
        self.categories, self.brands = categories, brands
        self.pictures = {}
        self._attributes = {}

    def attributes(self, category, kind):
        """The category's attributes of ``kind`` (looked up once)."""
        key = (category.id, kind)
        if key not in self._attributes:
            self._attributes[key] = library.effective_attributes(category, kind)
        return self._attributes[key]

    def picture(self, kind, colour, label, merchant_id):
        """The stored picture of a kind of product in a colour."""
        key = (kind, colour, label, merchant_id)
        if key not in self.pictures:
            data = product_picture(kind, colour, label)
            self.pictures[key] = uploads.store_upload(
                FileStorage(io.BytesIO(data), filename=f"{kind}-{(colour or 'plain').lower()}.png"), "catalog.image",
                merchant_id=merchant_id, allowed=images.IMAGE_TYPES, max_bytes=images.MAX_BYTES)
        return self.pictures[key]


def _library():
    """The category tree and its attributes; ``{key: Category}``."""
    categories = {}
    for key, (name_en, name_zh, parent, attributes) in CATEGORIES.items():
        parent_id = categories[parent].id if parent else None
        category = library.create_category(None, name_en, name_zh, parent_id=parent_id)
        categories[key] = category
        for code, attr_en, attr_zh, kind, values in attributes:
            library.create_attribute(None, category, code, attr_en, attr_zh, kind, values)
    return categories


def _brands(rng):
    """The twenty brands, each with a drawn logo; ``{English name: Brand}``."""
    brands = {}
    for name_en, name_zh in BRANDS:
        hue = (rng.randint(40, 200), rng.randint(40, 200), rng.randint(40, 200))
        logo = images.store_logo(FileStorage(io.BytesIO(brand_logo(name_en, hue)),
                                             filename=f"{name_en.lower().replace(' ', '-')}.png"), None)
        brands[name_en] = library.create_brand(None, name_en, name_zh, logo=logo)
    return brands


def _ean13(number):
    """A valid EAN-13 in the 690-699 (China) range."""
    digits = f"69{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _money(value, currency):
    """A shop-like price: CNY ends in .00, EUR in .95 or .00."""
    value = Decimal(value)
    if currency == "EUR":
        return (value.to_integral_value(ROUND_HALF_UP) - Decimal("0.05")).max(Decimal("0.95"))
    return value.to_integral_value(ROUND_HALF_UP).quantize(Decimal("0.01"))


class ProductBuilder:
    """One demo product: title and description from the kind's words, spec
    values and their SKUs, parameters, a picture, and its review/shelf state."""

    def __init__(self, rng, context, merchant, kind, number):
        self.rng, self.context, self.merchant, self.kind, self.number = rng, context, merchant, kind, number
        self.category = context.categories[kind]
        (self.brand_names, self.adjectives, self.nouns, self.price_range, self.hs_code, self.picture,
         self.weight) = PRODUCT_KINDS[kind]

    def build(self):
        """Create the product; returns counts for the summary line."""
        rng = self.rng
        brand = self.context.brands[rng.choice(self.brand_names)]
        (adj_en, adj_zh), (noun_en, noun_zh) = rng.choice(self.adjectives), rng.choice(self.nouns)
        product = Product(
            merchant_id=self.merchant.id, category_id=self.category.id, brand_id=brand.id,
            title_en=f"{brand.name_en} {adj_en} {noun_en}", title_zh=f"{brand.name_zh}{adj_zh}{noun_zh}",
            description_en=products.sanitize_html(
                f"<p>{adj_en} {noun_en} by {brand.name_en}.</p>"
                "<ul><li>Made to last</li><li>Easy to care for</li></ul>"),
            description_zh=products.sanitize_html(
                f"<p>{brand.name_zh}出品的{adj_zh}{noun_zh}。</p><ul><li>经久耐用</li><li>易于打理</li></ul>"),
            review_status=REVIEW_APPROVED)
        values = self._spec_values()
        product.spec_values = [ProductSpecValue(value=v, attribute_id=v.attribute_id) for v in values]
        product.params = self._params()
        product.skus = self._skus(values)
        colour = next((v.value_en for v in values if v.attribute.code == "colour"), None)
        product.images = [ProductImage(file=self.context.picture(self.picture, colour, noun_en.capitalize(),
                                                                 self.merchant.id), position=0)]
        db.session.add(product)
        db.session.flush()
        state = self._state(product)
        return Counter(products=1, skus=len(product.skus), **{state: 1})

    def _spec_values(self):
        chosen = []
        for attribute in self.context.attributes(self.category, SPEC):
            count = min(len(attribute.values), self.rng.choice((2, 2, 3)))
            picked = set(self.rng.sample(range(len(attribute.values)), count))
            chosen += [v for i, v in enumerate(attribute.values) if i in picked]
        return chosen

    def _params(self):
        params = []
        for attribute in self.context.attributes(self.category, PARAM):
            if attribute.values:
                params.append(ProductParam(attribute_id=attribute.id, value_id=self.rng.choice(attribute.values).id))
                continue
            text = (COUNTRY_NAMES[self.rng.choice(ORIGINS)] if attribute.code == "origin"
                    else f"{self.rng.choice(('Spring', 'Summer', 'Autumn'))} 2025")
            params.append(ProductParam(attribute_id=attribute.id, text=text))
        return params

    def _skus(self, values):
        """One SKU per combination of the values (as ``skus.generate`` makes
        them), each with a price stepping up with the larger options, a
        barcode, weight and box size for freight, customs code and origin."""
        groups = {}
        for value in values:
            groups.setdefault(value.attribute_id, []).append(value)
        currency = self.merchant.default_currency
        low, high = self.price_range
        base = _money(self.rng.uniform(low, high), currency)
        prefix = f"{self.merchant.code}-{self.kind[:3].upper()}{self.number:03d}"
        origin, on_sale = self.rng.choice(ORIGINS), self.rng.random() < 0.25
        made = []
        for index, combo in enumerate(itertools.product(*groups.values())):
            step = sum(v.position for v in combo if v.attribute.code != "colour")
            price = _money(base * (1 + Decimal("0.15") * step), currency)
            sku = Sku(merchant_id=self.merchant.id, spec_key=skus.spec_key(combo),
                      code="-".join([prefix] + [re.sub(r"[^A-Za-z0-9]+", "", v.value_en).upper() for v in combo]),
                      price=price, list_price=_money(price * Decimal("1.25"), currency) if on_sale else None,
                      currency=currency, barcode=_ean13(self.merchant.id * 10**8 + self.number * 100 + index),
                      weight_g=(self.weight or 50 * 2 ** step) + self.rng.randint(0, 60),
                      length_mm=self.rng.randint(80, 400), width_mm=self.rng.randint(80, 400),
                      height_mm=self.rng.randint(40, 300), hs_code=self.hs_code, origin_country=origin)
            sku.options = [SkuOption(attribute_id=v.attribute_id, value_id=v.id) for v in combo]
            made.append(sku)
        return made

    def _state(self, product):
        """On the shelf, waiting for review, rejected, scheduled or off."""
        roll = self.rng.random()
        if roll < 0.62:
            shelf.put_on_shelf(None, product)
            return "on"
        if roll < 0.72:
            product.review_status = REVIEW_PENDING  # sent while the platform reviewed products
            return REVIEW_PENDING
        if roll < 0.75:
            product.review_status, product.review_reason = REVIEW_REJECTED, self.rng.choice(REJECT_REASONS)
            product.reviewed_at = utcnow()
            return REVIEW_REJECTED
        if roll < 0.80:
            product.scheduled_on_at = utcnow().replace(microsecond=0) + timedelta(days=self.rng.randint(2, 20))
            return "scheduled"
        return "off"
