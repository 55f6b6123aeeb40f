"""Reports tables (prefix ``reports_``): daily rollups, one row per local day
(the platform's time zone) and combination of dimensions, holding additive
measures only, so any period or grouping is a ``SUM`` over them.

- ``SalesDay``: orders by merchant, ship-to region, channel and currency.
  Placed figures count on the day placed, paid on the day paid, cancelled on
  the day cancelled, refunds (cancellations and after-sales) on the day the
  money was owed back.
- ``ProductDay``: order lines by product (with its merchant, category and
  brand when sold): units and sales placed, and those cancelled later.
- ``ShipmentDay``: shipments by merchant, carrier and region on the day they
  left; orders received on the day received, with the whole seconds between
  the order's last shipment and its receipt.
- ``SavedView``: a user's named pivot.
"""
from sqlalchemy import Index, UniqueConstraint

from portal.extensions import db
from portal.models import utcnow

MONEY = db.Numeric(18, 4)


class SalesDay(db.Model):
    """Order figures of one day for one merchant, region, channel and currency."""

    __tablename__ = "reports_sales_day"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    day = db.Column(db.Date, nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    region = db.Column(db.String(8), nullable=False)
    channel = db.Column(db.String(32), nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    placed_orders = db.Column(db.Integer, nullable=False, default=0)
    placed_amount = db.Column(MONEY, nullable=False, default=0)
    paid_orders = db.Column(db.Integer, nullable=False, default=0)
    paid_amount = db.Column(MONEY, nullable=False, default=0)
    cancelled_orders = db.Column(db.Integer, nullable=False, default=0)
    cancelled_amount = db.Column(MONEY, nullable=False, default=0)
    refund_amount = db.Column(MONEY, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("day", "merchant_id", "region", "channel", "currency", name="uq_reports_sales_day_key"),
        Index("ix_reports_sales_day_merchant", "merchant_id", "day"),
    )


class ProductDay(db.Model):
    """Order-line figures of one day for one product and currency."""

    __tablename__ = "reports_product_day"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    day = db.Column(db.Date, nullable=False)
    product_id = db.Column(db.Integer, db.ForeignKey("catalog_product.id"), nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    category_id = db.Column(db.Integer, db.ForeignKey("catalog_category.id"), nullable=False)
    brand_id = db.Column(db.Integer, db.ForeignKey("catalog_brand.id"))
    units = db.Column(db.Integer, nullable=False, default=0)
    sales = db.Column(MONEY, nullable=False, default=0)
    cancelled_units = db.Column(db.Integer, nullable=False, default=0)
    cancelled_sales = db.Column(MONEY, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("day", "product_id", "currency", name="uq_reports_product_day_key"),
        Index("ix_reports_product_day_merchant", "merchant_id", "day"),
        Index("ix_reports_product_day_day", "day"),
    )


class ShipmentDay(db.Model):
    """Shipping figures of one day for one merchant, carrier and region."""

    __tablename__ = "reports_shipment_day"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    day = db.Column(db.Date, nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    carrier = db.Column(db.String(64), nullable=False)
    region = db.Column(db.String(8), nullable=False)
    shipments = db.Column(db.Integer, nullable=False, default=0)
    received_orders = db.Column(db.Integer, nullable=False, default=0)
    delivery_seconds = db.Column(db.BigInteger, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("day", "merchant_id", "carrier", "region", name="uq_reports_shipment_day_key"),
        Index("ix_reports_shipment_day_merchant", "merchant_id", "day"),
    )




class SavedView(db.Model):
    """A pivot a user saved under a name: its query string, replayed as is
    (figures are read again, within the user's scope at that time)."""

    __tablename__ = "reports_saved_view"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(120), nullable=False)
    query = db.Column(db.String(2000), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_reports_saved_view_name"),)


MODELS = [SalesDay, ProductDay, ShipmentDay, SavedView]
