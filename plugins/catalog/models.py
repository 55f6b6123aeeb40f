"""Catalog tables (prefix ``catalog_``).

The shared library, kept by the platform:

- ``Category``: a tree of any depth. ``path`` is the materialised path of ids
  (``/3/17/42/``), so "this category and everything under it" is one indexed
  ``path LIKE '/3/17/%'`` on the (small) category table; ``position`` orders
  siblings.
- ``Brand``: names in English and Chinese, an optional logo (a
  ``portal_stored_file``).
- ``Attribute`` / ``AttributeValue``: attribute templates declared on a
  category and inherited by every category below it. ``kind`` is ``spec`` (its
  values make SKUs: colour, size) or ``param`` (descriptive: material, origin;
  a param without allowed values takes free text).

Each merchant's catalog (``merchant_id`` is the data scope):

- ``Product``: the SPU. ``review_status`` is pending / approved / rejected,
  ``shelf_status`` off / on; ``scheduled_on_at`` (naive UTC) puts it on the
  shelf from a scheduled job once it is approved. Its titles are indexed for
  the list's substring search: trigram (pg_trgm) GIN indexes on PostgreSQL,
  the FTS5 table ``catalog_product_search`` (trigram tokenizer, kept in step
  by triggers) on SQLite.
- ``ProductSpecValue``: the spec values the merchant chose (colour: red, blue;
  size: S, M); SKUs are their cartesian product.
- ``ProductParam``: the product's descriptive parameters.
- ``Sku``: one sellable variant. ``spec_key`` is the sorted value ids
  (``"12-40"``; empty for a product without specs) and is unique per product, so
  adding a value creates only the missing combinations. ``merchant_id`` is
  copied from the product so SKU codes are unique per merchant and SKU queries
  are scoped without a join. Money is ``Numeric`` and read as ``Decimal``.
- ``SkuOption``: which value of each spec attribute a SKU carries.
- ``ProductImage``: uploaded images in order (thumbnails made on demand).
"""
from portal.extensions import db
from portal.money import quantize
from portal.models import utcnow
from sqlalchemy import DDL, Index, UniqueConstraint, event

REVIEW_PENDING, REVIEW_APPROVED, REVIEW_REJECTED = "pending", "approved", "rejected"
REVIEW_STATUSES = (REVIEW_PENDING, REVIEW_APPROVED, REVIEW_REJECTED)
SHELF_OFF, SHELF_ON = "off", "on"
SHELF_STATUSES = (SHELF_OFF, SHELF_ON)
SPEC, PARAM = "spec", "param"
ATTRIBUTE_KINDS = (SPEC, PARAM)
MONEY = db.Numeric(18, 4)

# SQLite's index for the product list's title search (queries.search_condition): an
# external-content FTS5 table with the trigram tokenizer, which finds any
# substring of 3+ characters of either title (case folded) through its index.
# It stores only the index; the titles are read from catalog_product by rowid.
# Triggers keep it in step with every write, the ORM's and raw SQL alike. A
# batch migration that recreates catalog_product drops the triggers with the
# old table: such a revision must run these statements again (after dropping
# the FTS table), the last one re-indexing the rows already there.
SEARCH_TABLE = "catalog_product_search"
_SEARCH_DELETE = ("INSERT INTO catalog_product_search(catalog_product_search, rowid, title_en, title_zh) "
                  "VALUES ('delete', old.id, old.title_en, old.title_zh);")
_SEARCH_INSERT = ("INSERT INTO catalog_product_search(rowid, title_en, title_zh) "
                  "VALUES (new.id, new.title_en, new.title_zh);")
SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE catalog_product_search USING fts5(title_en, title_zh, content='catalog_product', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER catalog_product_search_insert AFTER INSERT ON catalog_product BEGIN {_SEARCH_INSERT} END",
    f"CREATE TRIGGER catalog_product_search_delete AFTER DELETE ON catalog_product BEGIN {_SEARCH_DELETE} END",
    # only writes that change a title (or the id) touch the index: shelf and review changes do not
    "CREATE TRIGGER catalog_product_search_update AFTER UPDATE OF id, title_en, title_zh ON catalog_product "
    f"BEGIN {_SEARCH_DELETE} {_SEARCH_INSERT} END",
    "INSERT INTO catalog_product_search(catalog_product_search) VALUES ('rebuild')",
)
# the triggers go with catalog_product; the FTS table (and its shadow tables) must be dropped
SQLITE_SEARCH_DROP = ("DROP TABLE IF EXISTS catalog_product_search",)


class Category(db.Model):
    """A node of the platform's category tree."""

    __tablename__ = "catalog_category"

    id = db.Column(db.Integer, primary_key=True)
    parent_id = db.Column(db.Integer, db.ForeignKey("catalog_category.id"))
    name_en = db.Column(db.String(120), nullable=False)
    name_zh = db.Column(db.String(120), nullable=False, default="")
    position = db.Column(db.Integer, nullable=False, default=0)
    # "/<root id>/.../<own id>/": every ancestor's id, then its own
    path = db.Column(db.String(500), nullable=False, default="")
    depth = db.Column(db.Integer, nullable=False, default=0)
    active = db.Column(db.Boolean, nullable=False, default=True)

    parent = db.relationship("Category", remote_side=[id])

    __table_args__ = (
        Index("ix_catalog_category_path", "path"),
        Index("ix_catalog_category_parent", "parent_id", "position"),
    )

    @property
    def ancestor_ids(self):
        """Ids from the root down to this category, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def __str__(self):
        return self.name_en


class Brand(db.Model):
    """A brand of the shared library."""

    __tablename__ = "catalog_brand"

    id = db.Column(db.Integer, primary_key=True)
    name_en = db.Column(db.String(120), nullable=False, unique=True)
    name_zh = db.Column(db.String(120), nullable=False, default="")
    logo_id = db.Column(db.Integer, db.ForeignKey("portal_stored_file.id", ondelete="SET NULL"))
    active = db.Column(db.Boolean, nullable=False, default=True)

    logo = db.relationship("StoredFile", foreign_keys=[logo_id])

    def __str__(self):
        return self.name_en


class Attribute(db.Model):
    """An attribute template on a category (inherited by its descendants)."""

    __tablename__ = "catalog_attribute"

    id = db.Column(db.Integer, primary_key=True)
    category_id = db.Column(db.Integer, db.ForeignKey("catalog_category.id", ondelete="CASCADE"), nullable=False)
    code = db.Column(db.String(50), nullable=False)
    name_en = db.Column(db.String(120), nullable=False)
    name_zh = db.Column(db.String(120), nullable=False, default="")
    kind = db.Column(db.String(8), nullable=False, default=SPEC)
    position = db.Column(db.Integer, nullable=False, default=0)

    category = db.relationship(Category)
    values = db.relationship("AttributeValue", order_by="AttributeValue.position, AttributeValue.id",
                             cascade="all, delete-orphan", lazy="selectin", back_populates="attribute")

    __table_args__ = (UniqueConstraint("category_id", "code"),)

    def __str__(self):
        return self.name_en


class AttributeValue(db.Model):
    """An allowed value of an attribute (red, XL, cotton)."""

    __tablename__ = "catalog_attribute_value"

    id = db.Column(db.Integer, primary_key=True)
    attribute_id = db.Column(db.Integer, db.ForeignKey("catalog_attribute.id", ondelete="CASCADE"), nullable=False)
    value_en = db.Column(db.String(120), nullable=False)
    value_zh = db.Column(db.String(120), nullable=False, default="")
    position = db.Column(db.Integer, nullable=False, default=0)

    attribute = db.relationship(Attribute, back_populates="values")

    __table_args__ = (UniqueConstraint("attribute_id", "value_en"),)

    def __str__(self):
        return self.value_en


class Product(db.Model):
    """A merchant's product (SPU)."""

    __tablename__ = "catalog_product"

    id = db.Column(db.Integer, primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    category_id = db.Column(db.Integer, db.ForeignKey("catalog_category.id"), nullable=False)
    brand_id = db.Column(db.Integer, db.ForeignKey("catalog_brand.id"))
    title_en = db.Column(db.String(200), nullable=False)
    title_zh = db.Column(db.String(200), nullable=False, default="")
    description_en = db.Column(db.Text, nullable=False, default="")  # sanitised HTML
    description_zh = db.Column(db.Text, nullable=False, default="")  # sanitised HTML
    review_status = db.Column(db.String(16), nullable=False, default=REVIEW_APPROVED)
    review_reason = db.Column(db.String(500), nullable=False, default="")
    reviewed_at = db.Column(db.DateTime)
    reviewed_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    shelf_status = db.Column(db.String(8), nullable=False, default=SHELF_OFF)
    listed_at = db.Column(db.DateTime)
    scheduled_on_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    merchant = db.relationship("Merchant")
    category = db.relationship(Category)
    brand = db.relationship(Brand)
    skus = db.relationship("Sku", order_by="Sku.id", back_populates="product", cascade="all, delete-orphan")
    spec_values = db.relationship("ProductSpecValue", cascade="all, delete-orphan", back_populates="product")
    params = db.relationship("ProductParam", cascade="all, delete-orphan", back_populates="product")
    images = db.relationship("ProductImage", order_by="ProductImage.position, ProductImage.id",
                             cascade="all, delete-orphan", back_populates="product")

    __table_args__ = (
        # the list pages: newest first within a merchant, filtered by shelf or review status
        Index("ix_catalog_product_merchant", "merchant_id", "id"),
        Index("ix_catalog_product_merchant_shelf", "merchant_id", "shelf_status", "id"),
        Index("ix_catalog_product_merchant_review", "merchant_id", "review_status", "id"),
        Index("ix_catalog_product_merchant_title", "merchant_id", "title_en"),
        # the platform's lists (all merchants) and the review queue
        Index("ix_catalog_product_review", "review_status", "updated_at", "id"),
        Index("ix_catalog_product_shelf", "shelf_status", "id"),
        Index("ix_catalog_product_category", "category_id", "id"),
        Index("ix_catalog_product_brand", "brand_id", "id"),
        Index("ix_catalog_product_title", "title_en"),
        Index("ix_catalog_product_scheduled", "scheduled_on_at"),
        # title search on PostgreSQL: trigram indexes answer ILIKE '%word%' without reading every
        # row (queries.search_condition); SQLite gets an FTS5 trigram table instead (SQLITE_SEARCH_DDL)
        Index("ix_catalog_product_title_en_trgm", "title_en", postgresql_using="gin", info={"extension": "pg_trgm"},
              postgresql_ops={"title_en": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        Index("ix_catalog_product_title_zh_trgm", "title_zh", postgresql_using="gin", info={"extension": "pg_trgm"},
              postgresql_ops={"title_zh": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        # read by migrations/env.py, which writes the same statements into the revision
        {"info": {"dialect_ddl": {"dialect": "sqlite", "create": SQLITE_SEARCH_DDL, "drop": SQLITE_SEARCH_DROP,
                                  "tables": (SEARCH_TABLE,)}}},
    )

    def __str__(self):
        return self.title_en


# the trigram operator class comes with the pg_trgm extension (the migration creates it too)
event.listen(Product.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
# create_all / drop_all on SQLite: the search table and its triggers come and go with the products
for _statement in SQLITE_SEARCH_DDL:
    event.listen(Product.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_SEARCH_DROP:
    event.listen(Product.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))


class ProductSpecValue(db.Model):
    """A spec value chosen for a product; SKUs are the cartesian product."""

    __tablename__ = "catalog_product_spec_value"

    product_id = db.Column(db.Integer, db.ForeignKey("catalog_product.id", ondelete="CASCADE"), primary_key=True)
    value_id = db.Column(db.Integer, db.ForeignKey("catalog_attribute_value.id"), primary_key=True)
    attribute_id = db.Column(db.Integer, db.ForeignKey("catalog_attribute.id"), nullable=False)

    product = db.relationship(Product, back_populates="spec_values")
    value = db.relationship(AttributeValue, lazy="joined")


class ProductParam(db.Model):
    """A descriptive parameter of a product: an allowed value or free text."""

    __tablename__ = "catalog_product_param"

    product_id = db.Column(db.Integer, db.ForeignKey("catalog_product.id", ondelete="CASCADE"), primary_key=True)
    attribute_id = db.Column(db.Integer, db.ForeignKey("catalog_attribute.id"), primary_key=True)
    value_id = db.Column(db.Integer, db.ForeignKey("catalog_attribute_value.id"))
    text = db.Column(db.String(200), nullable=False, default="")

    product = db.relationship(Product, back_populates="params")
    attribute = db.relationship(Attribute, lazy="joined")
    value = db.relationship(AttributeValue, lazy="joined")

    @property
    def display(self):
        """The chosen value's English text, or the free text."""
        return self.value.value_en if self.value is not None else self.text


class Sku(db.Model):
    """A sellable variant of a product."""

    __tablename__ = "catalog_sku"

    id = db.Column(db.Integer, primary_key=True)
    product_id = db.Column(db.Integer, db.ForeignKey("catalog_product.id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    spec_key = db.Column(db.String(200), nullable=False, default="")
    code = db.Column(db.String(64), nullable=False)
    barcode = db.Column(db.String(64), nullable=False, default="")
    price = db.Column(MONEY, nullable=False)
    list_price = db.Column(MONEY)
    currency = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    weight_g = db.Column(db.Integer)
    length_mm = db.Column(db.Integer)
    width_mm = db.Column(db.Integer)
    height_mm = db.Column(db.Integer)
    hs_code = db.Column(db.String(16), nullable=False, default="")
    origin_country = db.Column(db.String(2), nullable=False, default="")
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    product = db.relationship(Product, back_populates="skus")
    options = db.relationship("SkuOption", cascade="all, delete-orphan", lazy="selectin", back_populates="sku")

    __table_args__ = (
        UniqueConstraint("merchant_id", "code", name="uq_catalog_sku_merchant_code"),
        UniqueConstraint("product_id", "spec_key", name="uq_catalog_sku_product_spec"),
        # the platform searches codes and barcodes across merchants
        Index("ix_catalog_sku_code", "code"),
        Index("ix_catalog_sku_barcode", "barcode"),
        Index("ix_catalog_sku_merchant_barcode", "merchant_id", "barcode"),
    )

    @property
    def price_shown(self):
        """The price with the currency's decimals (stored with four)."""
        return quantize(self.price, self.currency)

    @property
    def list_price_shown(self):
        """The list price with the currency's decimals, or None."""
        return None if self.list_price is None else quantize(self.list_price, self.currency)

    @property
    def label(self):
        """"red / M": the SKU's spec values in attribute order."""
        opts = sorted(self.options, key=lambda o: (o.value.attribute.position, o.attribute_id))
        return " / ".join(o.value.value_en for o in opts)

    def __str__(self):
        return self.code


class SkuOption(db.Model):
    """The value of one spec attribute that a SKU carries."""

    __tablename__ = "catalog_sku_option"

    sku_id = db.Column(db.Integer, db.ForeignKey("catalog_sku.id", ondelete="CASCADE"), primary_key=True)
    attribute_id = db.Column(db.Integer, db.ForeignKey("catalog_attribute.id"), primary_key=True)
    value_id = db.Column(db.Integer, db.ForeignKey("catalog_attribute_value.id"), nullable=False)

    sku = db.relationship(Sku, back_populates="options")
    value = db.relationship(AttributeValue, lazy="joined")


class ProductImage(db.Model):
    """An image of a product; thumbnails are made from the stored file on first
    use (``portal.uploads.thumbnail``)."""

    __tablename__ = "catalog_product_image"

    id = db.Column(db.Integer, primary_key=True)
    product_id = db.Column(db.Integer, db.ForeignKey("catalog_product.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    file_id = db.Column(db.Integer, db.ForeignKey("portal_stored_file.id"), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0)

    product = db.relationship(Product, back_populates="images")
    file = db.relationship("StoredFile")


MODELS = [Category, Brand, Attribute, AttributeValue, Product, ProductSpecValue, ProductParam, Sku, SkuOption,
          ProductImage]
