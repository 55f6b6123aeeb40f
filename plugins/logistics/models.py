"""Logistics tables (prefix ``logistics_``).

- ``Carrier``: a carrier the platform works with: ``code``, ``name``, the
  tracking URL pattern (``{number}`` stands for the tracking number) and the
  regular expression every tracking number of this carrier matches.
- ``FreightTemplate``: how a merchant charges freight. ``category_id`` NULL
  is the store's default; a template for a category wins over it for the
  products of that category. ``basis`` is what units are counted: items,
  weight (kg), volumetric weight (kg: length x width x height in cm /
  ``volume_divisor``) or order amount.
- ``FreightZone``: the regions a row of a template covers (``CN-GD``,
  ``CN``, or ``*`` for everywhere else), the first units and their fee, each
  further block of units and its fee, free-shipping thresholds, or
  ``no_delivery``.
- ``OrderFreight``: the freight an order was charged and why, one row per
  group of lines charged together (its template, zone, units and fee), and
  ``waived_by``: why the buyer shipped free when a plugin waived the freight.
- ``Tracking`` / ``TrackingEvent``: a shipment's link to a carrier, its last
  tracking status, and its timeline. ``external_id`` is the carrier's id for
  an event: the same event pushed twice is stored once.
"""
from sqlalchemy import CheckConstraint, Index, UniqueConstraint

from portal.extensions import db
from portal.models import utcnow

MONEY = db.Numeric(18, 4)
UNITS = db.Numeric(14, 3)

BY_COUNT, BY_WEIGHT, BY_VOLUME, BY_AMOUNT = "count", "weight", "volume", "amount"
BASES = (BY_COUNT, BY_WEIGHT, BY_VOLUME, BY_AMOUNT)
ELSEWHERE = "*"

# tracking statuses, in the order a parcel usually goes through them
ACCEPTED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, EXCEPTION, RETURNED = (
    "accepted", "in_transit", "out_for_delivery", "delivered", "exception", "returned")
STATUSES = (ACCEPTED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, EXCEPTION, RETURNED)
SOURCES = ("staff", "import", "webhook", "demo")


class Carrier(db.Model):
    """A carrier shipments are handed to."""

    __tablename__ = "logistics_carrier"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    tracking_url = db.Column(db.String(300), nullable=False, default="")
    tracking_pattern = db.Column(db.String(200), nullable=False, default="")
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    def url_for_number(self, number):
        """The carrier's tracking page for ``number``, or empty."""
        return self.tracking_url.replace("{number}", number) if self.tracking_url and number else ""

    def __str__(self):
        return f"{self.code} {self.name}"


class FreightTemplate(db.Model):
    """A merchant's freight rules, for its store or for one category."""

    __tablename__ = "logistics_template"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    category_id = db.Column(db.Integer, db.ForeignKey("catalog_category.id"))
    name = db.Column(db.String(120), nullable=False)
    basis = db.Column(db.String(8), nullable=False, default=BY_COUNT)
    volume_divisor = db.Column(db.Integer, nullable=False, default=6000)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    merchant = db.relationship("Merchant")
    category = db.relationship("Category")
    zones = db.relationship("FreightZone", back_populates="template", order_by="FreightZone.position",
                            cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("merchant_id", "category_id", name="uq_logistics_template_category"),
        Index("ix_logistics_template_merchant", "merchant_id", "name"),
        CheckConstraint("volume_divisor > 0", name="divisor_positive"),
    )

    def __str__(self):
        return self.name


class FreightZone(db.Model):
    """One row of a template: where it applies and what it charges there."""

    __tablename__ = "logistics_zone"

    id = db.Column(db.Integer, primary_key=True)
    template_id = db.Column(db.Integer, db.ForeignKey("logistics_template.id", ondelete="CASCADE"), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0)
    regions = db.Column(db.String(1000), nullable=False)  # space-separated codes
    no_delivery = db.Column(db.Boolean, nullable=False, default=False)
    first_units = db.Column(UNITS, nullable=False, default=1)
    first_fee = db.Column(MONEY, nullable=False, default=0)
    additional_units = db.Column(UNITS, nullable=False, default=1)
    additional_fee = db.Column(MONEY, nullable=False, default=0)
    free_over_amount = db.Column(MONEY)
    free_over_count = db.Column(db.Integer)

    template = db.relationship(FreightTemplate, back_populates="zones")

    __table_args__ = (
        Index("ix_logistics_zone_template", "template_id", "position"),
        CheckConstraint("first_fee >= 0 AND additional_fee >= 0", name="fees_not_negative"),
        CheckConstraint("first_units > 0 AND additional_units > 0", name="units_positive"),
    )

    @property
    def region_codes(self):
        return self.regions.split()


class OrderFreight(db.Model):
    """One group of an order's lines charged together, and why."""

    __tablename__ = "logistics_order_freight"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    template_id = db.Column(db.Integer, db.ForeignKey("logistics_template.id", ondelete="SET NULL"))
    template_name = db.Column(db.String(120), nullable=False)
    region = db.Column(db.String(8), nullable=False)
    zone = db.Column(db.String(1000), nullable=False, default="")
    basis = db.Column(db.String(8), nullable=False)
    units = db.Column(UNITS, nullable=False)
    amount = db.Column(MONEY, nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    skus = db.Column(db.String(1000), nullable=False, default="")
    explanation = db.Column(db.String(500), nullable=False, default="")
    waived_by = db.Column(db.String(300), nullable=False, default="")  # why the buyer shipped free, or ""

    __table_args__ = (Index("ix_logistics_order_freight_order", "order_id"),)


class Tracking(db.Model):
    """A shipment's carrier and tracking status (one per orders shipment, made
    only once the shipment has shipped: the shipment list relies on it)."""

    __tablename__ = "logistics_tracking"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    shipment_id = db.Column(db.Integer, db.ForeignKey("orders_shipment.id", ondelete="CASCADE"), nullable=False,
                            unique=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    carrier_id = db.Column(db.Integer, db.ForeignKey("logistics_carrier.id"))
    status = db.Column(db.String(20), nullable=False, default=ACCEPTED)
    last_event_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    delivered_at = db.Column(db.DateTime)

    shipment = db.relationship("Shipment")
    carrier = db.relationship(Carrier)
    events = db.relationship("TrackingEvent", back_populates="tracking", order_by="TrackingEvent.occurred_at.desc(), "
                             "TrackingEvent.id.desc()", cascade="all, delete-orphan")

    __table_args__ = (
        # the shipment list: newest first, by carrier, by status, and the late ones (oldest update first)
        Index("ix_logistics_tracking_merchant", "merchant_id", "id"),
        Index("ix_logistics_tracking_carrier", "carrier_id", "shipment_id"),
        Index("ix_logistics_tracking_status", "status", "last_event_at"),
        # the shipment list sorted by last update or by status, the shipment id breaking ties
        Index("ix_logistics_tracking_updated", "last_event_at", "shipment_id"),
        Index("ix_logistics_tracking_status_shipment", "status", "shipment_id"),
    )


class TrackingEvent(db.Model):
    """One step of a shipment's journey."""

    __tablename__ = "logistics_tracking_event"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    tracking_id = db.Column(db.Integer, db.ForeignKey("logistics_tracking.id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    status = db.Column(db.String(20), nullable=False)
    occurred_at = db.Column(db.DateTime, nullable=False)
    location = db.Column(db.String(120), nullable=False, default="")
    description = db.Column(db.String(300), nullable=False, default="")
    source = db.Column(db.String(16), nullable=False)
    external_id = db.Column(db.String(100))  # NULL: entered by staff or imported
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    tracking = db.relationship(Tracking, back_populates="events")

    __table_args__ = (
        UniqueConstraint("tracking_id", "external_id", name="uq_logistics_tracking_event_external"),
        Index("ix_logistics_tracking_event_tracking", "tracking_id", "occurred_at"),
    )


MODELS = [Carrier, FreightTemplate, FreightZone, OrderFreight, Tracking, TrackingEvent]
