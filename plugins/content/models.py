"""Content tables (prefix ``content_``).

- ``Page``: a homepage (``kind`` home: the platform's when ``merchant_id`` is
  NULL, else a merchant's store) or a campaign page (``kind`` campaign, with a
  ``slug`` unique per owner and a schedule ``starts_at``/``ends_at``). Its
  floors, slots and linked products are the *draft*; ``live_version_id``
  points at the published ``Version``.
- ``Floor``: one block of the draft, in ``position`` order: a banner
  carousel, category navigation, product grid (chosen products, or the rule
  "top sellers in a category"), brand wall, campaign block or rich text. A
  hidden floor stays in the draft but is left out of what is published.
- ``Slot``: an entry of a floor linking to a product, category, brand,
  campaign page or URL, with an optional uploaded image.
- ``PageProduct``: the products linked to a campaign page.
- ``Version``: a published copy of the draft (JSON), numbered per page. The
  storefront reads only versions; rolling back publishes an earlier one again.
- ``SlotStat``: impressions and clicks per published floor and slot per UTC day.

Floors and slots carry a ``key`` (short random text) that survives
publishing, duplicating a page and rolling back, so counts stay with the slot
a shopper saw. Times are naive UTC; a window includes its start and excludes
its end.
"""
from sqlalchemy import Index, UniqueConstraint

from portal.extensions import db
from portal.i18n import N_
from portal.models import utcnow

HOME, CAMPAIGN = "home", "campaign"
PAGE_KINDS = (HOME, CAMPAIGN)

BANNER, CATEGORY_NAV, PRODUCT_GRID, BRAND_WALL, CAMPAIGN_BLOCK, RICH_TEXT = (
    "banner", "category_nav", "product_grid", "brand_wall", "campaign_block", "rich_text")
FLOOR_KINDS = {
    BANNER: N_("Banner carousel"), CATEGORY_NAV: N_("Category navigation"), PRODUCT_GRID: N_("Product grid"),
    BRAND_WALL: N_("Brand wall"), CAMPAIGN_BLOCK: N_("Campaign block"), RICH_TEXT: N_("Rich text"),
}
RULE_CHOSEN, RULE_TOP_SELLERS = "", "top_sellers"

LINK_PRODUCT, LINK_CATEGORY, LINK_BRAND, LINK_CAMPAIGN, LINK_URL = "product", "category", "brand", "campaign", "url"
LINK_TYPES = {
    LINK_PRODUCT: N_("Product"), LINK_CATEGORY: N_("Category"), LINK_BRAND: N_("Brand"),
    LINK_CAMPAIGN: N_("Campaign page"), LINK_URL: N_("Web address"),
}


class Page(db.Model):
    """A homepage or campaign page: its draft lives in floors, slots and products."""

    __tablename__ = "content_page"

    id = db.Column(db.Integer, primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))
    kind = db.Column(db.String(16), nullable=False, default=HOME)
    slug = db.Column(db.String(80))
    title = db.Column(db.String(200), nullable=False)
    starts_at = db.Column(db.DateTime)
    ends_at = db.Column(db.DateTime)
    live_version_id = db.Column(db.Integer, db.ForeignKey("content_version.id", use_alter=True,
                                                          name="fk_content_page_live_version"))
    draft_changed_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    merchant = db.relationship("Merchant")
    floors = db.relationship("Floor", order_by="Floor.position, Floor.id", back_populates="page",
                             cascade="all, delete-orphan")
    products = db.relationship("PageProduct", order_by="PageProduct.position, PageProduct.product_id",
                               back_populates="page", cascade="all, delete-orphan")
    live_version = db.relationship("Version", foreign_keys=[live_version_id], post_update=True)

    __table_args__ = (
        UniqueConstraint("merchant_id", "kind", "slug", name="uq_content_page_slug"),
        Index("ix_content_page_kind", "kind", "merchant_id", "id"),
        Index("ix_content_page_schedule", "kind", "starts_at"),
    )

    @property
    def has_unpublished_changes(self):
        """True when the draft changed after the live version was published (or nothing is live)."""
        live = self.live_version
        return live is None or self.draft_changed_at > live.published_at

    def __str__(self):
        return self.title


class Floor(db.Model):
    """A block of a page's draft."""

    __tablename__ = "content_floor"

    id = db.Column(db.Integer, primary_key=True)
    page_id = db.Column(db.Integer, db.ForeignKey("content_page.id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))
    key = db.Column(db.String(16), nullable=False)
    kind = db.Column(db.String(20), nullable=False)
    title = db.Column(db.String(200), nullable=False, default="")
    position = db.Column(db.Integer, nullable=False, default=0)
    hidden = db.Column(db.Boolean, nullable=False, default=False)
    starts_at = db.Column(db.DateTime)
    ends_at = db.Column(db.DateTime)
    # product grid: "" (the chosen products in its slots) or "top_sellers" in rule_category_id
    rule = db.Column(db.String(20), nullable=False, default=RULE_CHOSEN)
    rule_category_id = db.Column(db.Integer, db.ForeignKey("catalog_category.id", ondelete="SET NULL"))
    item_limit = db.Column(db.Integer, nullable=False, default=8)
    body_html = db.Column(db.Text, nullable=False, default="")  # rich text, sanitised

    page = db.relationship(Page, back_populates="floors")
    rule_category = db.relationship("Category")
    slots = db.relationship("Slot", order_by="Slot.position, Slot.id", back_populates="floor",
                            cascade="all, delete-orphan")

    __table_args__ = (Index("ix_content_floor_page", "page_id", "position"),)

    def __str__(self):
        return self.title or self.kind


class Slot(db.Model):
    """An entry of a floor, linking somewhere."""

    __tablename__ = "content_slot"

    id = db.Column(db.Integer, primary_key=True)
    floor_id = db.Column(db.Integer, db.ForeignKey("content_floor.id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))
    key = db.Column(db.String(16), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0)
    title = db.Column(db.String(200), nullable=False, default="")
    link_type = db.Column(db.String(16), nullable=False)
    link_id = db.Column(db.Integer)
    url = db.Column(db.String(500), nullable=False, default="")
    image_id = db.Column(db.Integer, db.ForeignKey("portal_stored_file.id"))
    starts_at = db.Column(db.DateTime)
    ends_at = db.Column(db.DateTime)

    floor = db.relationship(Floor, back_populates="slots")
    image = db.relationship("StoredFile")

    __table_args__ = (Index("ix_content_slot_floor", "floor_id", "position"),)


class PageProduct(db.Model):
    """A product linked to a campaign page."""

    __tablename__ = "content_page_product"

    page_id = db.Column(db.Integer, db.ForeignKey("content_page.id", ondelete="CASCADE"), primary_key=True)
    product_id = db.Column(db.Integer, db.ForeignKey("catalog_product.id", ondelete="CASCADE"), primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))
    position = db.Column(db.Integer, nullable=False, default=0)

    page = db.relationship(Page, back_populates="products")
    product = db.relationship("Product")


class Version(db.Model):
    """A published copy of a page's draft."""

    __tablename__ = "content_version"

    id = db.Column(db.Integer, primary_key=True)
    page_id = db.Column(db.Integer, db.ForeignKey("content_page.id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))
    number = db.Column(db.Integer, nullable=False)
    snapshot = db.Column(db.Text, nullable=False)  # JSON, see services.publishing.snapshot
    note = db.Column(db.String(300), nullable=False, default="")
    restored_from = db.Column(db.Integer)  # the version number a rollback published again
    published_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    published_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    published_by = db.relationship("User")

    __table_args__ = (UniqueConstraint("page_id", "number", name="uq_content_version_number"),)


class SlotStat(db.Model):
    """Impressions and clicks of one published floor (and slot) on one UTC day;
    ``slot_key`` is "" for the floor itself."""

    __tablename__ = "content_slot_stat"

    id = db.Column(db.Integer, primary_key=True)
    page_id = db.Column(db.Integer, db.ForeignKey("content_page.id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))
    day = db.Column(db.Date, nullable=False)
    floor_key = db.Column(db.String(16), nullable=False)
    slot_key = db.Column(db.String(24), nullable=False, default="")
    impressions = db.Column(db.Integer, nullable=False, default=0)
    clicks = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("page_id", "day", "floor_key", "slot_key", name="uq_content_slot_stat"),)


MODELS = [Page, Floor, Slot, PageProduct, Version, SlotStat]
