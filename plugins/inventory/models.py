"""Inventory tables (prefix ``inventory_``).

- ``Warehouse``: run by a merchant (``merchant_id``) or by the platform
  (``merchant_id`` NULL, it may hold any merchant's goods). ``priority``: a
  smaller number is tried first by allocation.
- ``WarehouseRegion``: the ISO 3166 country (``CN``) or subdivision
  (``CN-GD``) codes a warehouse ships to; a country covers its subdivisions.
- ``Stock``: one row per SKU and warehouse. ``damaged`` and ``quality_hold``
  are goods physically present, so they are part of ``on_hand``; the
  available quantity is ``on_hand - locked - damaged - quality_hold`` and the
  database refuses any row where it would be negative.
- ``SkuPolicy``: safety stock and low-stock threshold of a SKU (one per SKU,
  over all warehouses).
- ``StockLedger``: append-only; every change of a ``Stock`` quantity writes one
  row per state changed, so each quantity equals the sum of its rows.
- ``StockLock``: a reservation for an order line; ``live`` until deducted at
  shipment, released (cancelled) or expired.
"""
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text

from portal.extensions import db
from portal.models import utcnow

ON_HAND, LOCKED, DAMAGED, QUALITY_HOLD = "on_hand", "locked", "damaged", "quality_hold"
STATES = (ON_HAND, LOCKED, DAMAGED, QUALITY_HOLD)
LIVE, DEDUCTED, RELEASED, EXPIRED = "live", "deducted", "released", "expired"
LOCK_STATUSES = (LIVE, DEDUCTED, RELEASED, EXPIRED)
# the stock rows the list's state filter picks
STATE_CONDITIONS = {
    "locked": "locked > 0",
    "damaged": "damaged > 0",
    "quality_hold": "quality_hold > 0",
    "unavailable": "on_hand - locked - damaged - quality_hold <= 0",
}


class Warehouse(db.Model):
    """A place that holds stock."""

    __tablename__ = "inventory_warehouse"
    __portal_scopes__ = {"merchant": "merchant_id", "warehouse": "id"}

    id = db.Column(db.Integer, primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))  # NULL: platform-run
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    address = db.Column(db.Text, nullable=False, default="")
    priority = db.Column(db.Integer, nullable=False, default=100)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    merchant = db.relationship("Merchant")
    regions = db.relationship("WarehouseRegion", cascade="all, delete-orphan", lazy="selectin",
                              order_by="WarehouseRegion.region")

    __table_args__ = (Index("ix_inventory_warehouse_merchant", "merchant_id", "priority"),)

    @property
    def region_codes(self):
        """The region codes, sorted."""
        return [r.region for r in self.regions]

    def ships_to(self, destination):
        """Does the warehouse serve ``destination`` (``CN`` or ``CN-GD``)?"""
        destination = (destination or "").upper()
        return any(destination == r or destination.startswith(r + "-") for r in self.region_codes)

    def __str__(self):
        return f"{self.code} {self.name}"


class WarehouseRegion(db.Model):
    """A region a warehouse ships to."""

    __tablename__ = "inventory_warehouse_region"

    warehouse_id = db.Column(db.Integer, db.ForeignKey("inventory_warehouse.id", ondelete="CASCADE"),
                             primary_key=True)
    region = db.Column(db.String(8), primary_key=True)

    __table_args__ = (Index("ix_inventory_warehouse_region_region", "region"),)


class Stock(db.Model):
    """Quantities of one SKU in one warehouse."""

    __tablename__ = "inventory_stock"
    __portal_scopes__ = {"merchant": "merchant_id", "warehouse": "warehouse_id"}

    id = db.Column(db.Integer, primary_key=True)
    sku_id = db.Column(db.Integer, db.ForeignKey("catalog_sku.id", ondelete="CASCADE"), nullable=False)
    warehouse_id = db.Column(db.Integer, db.ForeignKey("inventory_warehouse.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)  # the SKU's
    on_hand = db.Column(db.Integer, nullable=False, default=0)
    locked = db.Column(db.Integer, nullable=False, default=0)
    damaged = db.Column(db.Integer, nullable=False, default=0)
    quality_hold = db.Column(db.Integer, nullable=False, default=0)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    sku = db.relationship("Sku")
    warehouse = db.relationship(Warehouse)

    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id", name="uq_inventory_stock_sku_warehouse"),
        CheckConstraint("on_hand >= 0 AND locked >= 0 AND damaged >= 0 AND quality_hold >= 0",
                        name="not_negative"),
        CheckConstraint("locked + damaged + quality_hold <= on_hand", name="within_on_hand"),
        Index("ix_inventory_stock_warehouse", "warehouse_id", "sku_id"),
        Index("ix_inventory_stock_merchant", "merchant_id", "sku_id"),
        # the stock list's state filters: few rows match, so each has its own partial
        # index in the list's order (the filters in views/stock_list.py repeat these
        # conditions word for word, which is how SQLite knows it may use them)
        *(Index(f"ix_inventory_stock_{name}", "sku_id", "warehouse_id",
                sqlite_where=text(condition), postgresql_where=text(condition))
          for name, condition in STATE_CONDITIONS.items()),
    )

    @property
    def available(self):
        """On hand and free: not locked, damaged or held."""
        return self.on_hand - self.locked - self.damaged - self.quality_hold


class SkuPolicy(db.Model):
    """Safety stock and low-stock threshold of a SKU."""

    __tablename__ = "inventory_sku_policy"

    sku_id = db.Column(db.Integer, db.ForeignKey("catalog_sku.id", ondelete="CASCADE"), primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    safety_stock = db.Column(db.Integer, nullable=False, default=0)
    low_stock_threshold = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (
        CheckConstraint("safety_stock >= 0 AND low_stock_threshold >= 0", name="not_negative"),
    )


class StockLedger(db.Model):
    """One change of one quantity (append-only)."""

    __tablename__ = "inventory_stock_ledger"
    __portal_scopes__ = {"merchant": "merchant_id", "warehouse": "warehouse_id"}

    id = db.Column(db.Integer, primary_key=True)
    sku_id = db.Column(db.Integer, db.ForeignKey("catalog_sku.id", ondelete="CASCADE"), nullable=False)
    warehouse_id = db.Column(db.Integer, db.ForeignKey("inventory_warehouse.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    state = db.Column(db.String(16), nullable=False)
    delta = db.Column(db.Integer, nullable=False)
    reason = db.Column(db.String(32), nullable=False)
    note = db.Column(db.String(500), nullable=False, default="")
    document = db.Column(db.String(64), nullable=False, default="")
    lock_id = db.Column(db.Integer, db.ForeignKey("inventory_stock_lock.id"))
    user_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_inventory_stock_ledger_sku", "sku_id", "warehouse_id", "id"),
        Index("ix_inventory_stock_ledger_document", "document"),
    )


class StockLock(db.Model):
    """A reservation of stock for an order line."""

    __tablename__ = "inventory_stock_lock"
    __portal_scopes__ = {"merchant": "merchant_id", "warehouse": "warehouse_id"}

    id = db.Column(db.Integer, primary_key=True)
    sku_id = db.Column(db.Integer, db.ForeignKey("catalog_sku.id", ondelete="CASCADE"), nullable=False)
    warehouse_id = db.Column(db.Integer, db.ForeignKey("inventory_warehouse.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    qty = db.Column(db.Integer, nullable=False)
    order_ref = db.Column(db.String(64), nullable=False)
    line_ref = db.Column(db.String(64), nullable=False, default="")
    status = db.Column(db.String(16), nullable=False, default=LIVE)
    expires_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    closed_at = db.Column(db.DateTime)

    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        Index("ix_inventory_stock_lock_order", "order_ref", "line_ref"),
        Index("ix_inventory_stock_lock_expiry", "status", "expires_at"),
        Index("ix_inventory_stock_lock_sku", "sku_id", "warehouse_id", "status"),
    )


MODELS = [Warehouse, WarehouseRegion, Stock, SkuPolicy, StockLedger, StockLock]
