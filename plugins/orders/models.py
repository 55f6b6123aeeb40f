"""Orders tables (prefix ``orders_``).

- ``Checkout``: what the customer placed in one go, through one channel: the
  buyer as it was then (name, contact, shipping address with its ISO region
  ``CN-GD`` and, when the buyer gave one, its city's GB/T 2260 code ``440300``),
  the channel's customer reference, the currency and the totals of
  its merchant orders. It spans merchants, so it has no merchant scope: staff
  reach it only through one of its orders.
- ``Order``: one merchant's part of a checkout, the unit of settlement and
  invoicing. ``number`` is ``O`` + the UTC date + the id, so it is unique
  without a counter every placement would queue on. ``state`` follows
  ``services.machine.TRANSITIONS``; each transition stamps its time (UTC).
  ``total = subtotal + adjustments_total``, all rounded to the currency's
  minor unit (kept by the services: SQLite compares NUMERIC as floating point,
  so the database cannot check that sum exactly).
- ``OrderLine``: a SKU as sold (code and title copied), quantity, unit price
  and ``line_total``.
- ``Adjustment``: a signed amount another plugin (or the orders plugin) added
  to the price, for the whole order or one line, with its source and reason.
- ``Shipment`` / ``ShipmentLine``: what one warehouse ships for the order;
  each shipment line is one inventory reservation (``lock_id``).
- ``Payment``: money received (``kind`` payment, positive) or owed back
  (``kind`` refund, negative). ``provider_ref`` is unique per ``method``, so
  a notification delivered twice records one payment.
- ``OrderHistory``: each state change (or shipment) of an order, who and when.
- ``AfterSalesCase`` / ``AfterSalesLine`` / ``AfterSalesPhoto``: a buyer's after-sales
  request (refund only, return and refund, exchange), the units and restock decision per
  line, and the photos sent as evidence.
"""
from sqlalchemy import CheckConstraint, Index, UniqueConstraint

from portal.extensions import db
from portal.i18n import N_
from portal.models import utcnow

MONEY = db.Numeric(18, 4)

PENDING_PAYMENT, PENDING_SHIPMENT, PENDING_RECEIPT = "pending_payment", "pending_shipment", "pending_receipt"
COMPLETED, CANCELLED, AFTER_SALES, CLOSED = "completed", "cancelled", "after_sales", "closed"
STATES = (PENDING_PAYMENT, PENDING_SHIPMENT, PENDING_RECEIPT, COMPLETED, CANCELLED, AFTER_SALES, CLOSED)
STATE_LABELS = {
    PENDING_PAYMENT: N_("pending payment"), PENDING_SHIPMENT: N_("pending shipment"),
    PENDING_RECEIPT: N_("pending receipt"), COMPLETED: N_("completed"), CANCELLED: N_("cancelled"),
    AFTER_SALES: N_("after-sales"), CLOSED: N_("closed"),
}
# orders whose lines must hold reserved stock
LIVE_STATES = (PENDING_PAYMENT, PENDING_SHIPMENT)
SHIPMENT_PENDING, SHIPMENT_SHIPPED, SHIPMENT_CANCELLED = "pending", "shipped", "cancelled"
PAYMENT, REFUND = "payment", "refund"


class Checkout(db.Model):
    """The customer's parent order, split into one ``Order`` per merchant."""

    __tablename__ = "orders_checkout"

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(24), nullable=False, unique=True)
    channel = db.Column(db.String(32), nullable=False)
    customer_ref = db.Column(db.String(64), nullable=False, default="")
    buyer_name = db.Column(db.String(120), nullable=False)
    buyer_phone = db.Column(db.String(40), nullable=False, default="")
    buyer_email = db.Column(db.String(254), nullable=False, default="")
    ship_country = db.Column(db.String(2), nullable=False)
    ship_region = db.Column(db.String(8), nullable=False)
    ship_city = db.Column(db.String(100), nullable=False, default="")
    # the GB/T 2260 code of the prefecture-level city (440300) when the buyer gave one; freight can be set per city
    ship_city_code = db.Column(db.String(6), nullable=False, default="")
    ship_district = db.Column(db.String(100), nullable=False, default="")
    ship_address = db.Column(db.String(500), nullable=False)
    ship_postcode = db.Column(db.String(20), nullable=False, default="")
    currency = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    subtotal = db.Column(MONEY, nullable=False)
    adjustments_total = db.Column(MONEY, nullable=False)
    total = db.Column(MONEY, nullable=False)
    placed_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    orders = db.relationship("Order", back_populates="checkout", order_by="Order.id")

    __table_args__ = (
        Index("ix_orders_checkout_customer", "customer_ref", "id"),
        # the order list's buyer filter (a name, or the start of one)
        Index("ix_orders_checkout_buyer", "buyer_name", "id"),
    )

    def __str__(self):
        return self.number


class Order(db.Model):
    """One merchant's order."""

    __tablename__ = "orders_order"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(24), nullable=False, unique=True)
    checkout_id = db.Column(db.Integer, db.ForeignKey("orders_checkout.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    state = db.Column(db.String(24), nullable=False, default=PENDING_PAYMENT)
    currency = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    subtotal = db.Column(MONEY, nullable=False)
    adjustments_total = db.Column(MONEY, nullable=False)
    total = db.Column(MONEY, nullable=False)
    placed_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    paid_at = db.Column(db.DateTime)
    shipped_at = db.Column(db.DateTime)
    received_at = db.Column(db.DateTime)
    cancelled_at = db.Column(db.DateTime)
    closed_at = db.Column(db.DateTime)
    after_sales_deadline = db.Column(db.DateTime)

    checkout = db.relationship(Checkout, back_populates="orders")
    merchant = db.relationship("Merchant")
    lines = db.relationship("OrderLine", back_populates="order", order_by="OrderLine.position, OrderLine.id")
    adjustments = db.relationship("Adjustment", back_populates="order", order_by="Adjustment.id")
    shipments = db.relationship("Shipment", back_populates="order", order_by="Shipment.id")
    payments = db.relationship("Payment", back_populates="order", order_by="Payment.id")
    history = db.relationship("OrderHistory", back_populates="order", order_by="OrderHistory.id")

    __table_args__ = (
        # the order list: a merchant's newest first; every merchant's newest first; by state
        Index("ix_orders_order_merchant", "merchant_id", "placed_at", "id"),
        Index("ix_orders_order_placed", "placed_at", "id"),
        Index("ix_orders_order_state", "state", "id"),
        Index("ix_orders_order_checkout", "checkout_id"),
        # the timers: orders in one state whose time has come
        Index("ix_orders_order_state_placed", "state", "placed_at"),
        Index("ix_orders_order_state_shipped", "state", "shipped_at"),
        Index("ix_orders_order_state_deadline", "state", "after_sales_deadline"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    def __str__(self):
        return self.number


class OrderLine(db.Model):
    """A SKU as sold on an order."""

    __tablename__ = "orders_order_line"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0)
    sku_id = db.Column(db.Integer, db.ForeignKey("catalog_sku.id"), nullable=False)
    sku_code = db.Column(db.String(64), nullable=False)
    title = db.Column(db.String(300), nullable=False, default="")
    qty = db.Column(db.Integer, nullable=False)
    unit_price = db.Column(MONEY, nullable=False)
    line_total = db.Column(MONEY, nullable=False)

    order = db.relationship(Order, back_populates="lines")

    __table_args__ = (
        Index("ix_orders_order_line_order", "order_id", "position"),
        Index("ix_orders_order_line_sku", "sku_id", "order_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )


class Adjustment(db.Model):
    """A signed amount added to an order's price by a plugin."""

    __tablename__ = "orders_adjustment"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    line_id = db.Column(db.Integer, db.ForeignKey("orders_order_line.id"))
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    source = db.Column(db.String(64), nullable=False)
    kind = db.Column(db.String(32), nullable=False)
    reason = db.Column(db.String(300), nullable=False, default="")
    amount = db.Column(MONEY, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    order = db.relationship(Order, back_populates="adjustments")
    line = db.relationship(OrderLine)

    __table_args__ = (Index("ix_orders_adjustment_order", "order_id"),)


class Shipment(db.Model):
    """The part of an order one warehouse ships."""

    __tablename__ = "orders_shipment"
    __portal_scopes__ = {"merchant": "merchant_id", "warehouse": "warehouse_id"}

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    warehouse_id = db.Column(db.Integer, db.ForeignKey("inventory_warehouse.id"), nullable=False)
    status = db.Column(db.String(16), nullable=False, default=SHIPMENT_PENDING)
    carrier = db.Column(db.String(64), nullable=False, default="")
    tracking_number = db.Column(db.String(64), nullable=False, default="")
    shipped_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # set on the replacement an exchange sends out (after-sales), NULL for the order's own shipments
    case_id = db.Column(db.Integer, db.ForeignKey("orders_after_sales_case.id"))

    order = db.relationship(Order, back_populates="shipments")
    warehouse = db.relationship("Warehouse")
    lines = db.relationship("ShipmentLine", back_populates="shipment", order_by="ShipmentLine.id",
                            cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_orders_shipment_order", "order_id"),
        Index("ix_orders_shipment_tracking", "tracking_number"),
        Index("ix_orders_shipment_warehouse", "warehouse_id", "status", "order_id"),
        # shipment lists by ship time (the logistics shipment list's sort), the id breaking ties
        Index("ix_orders_shipment_shipped", "shipped_at", "id"),
    )


class ShipmentLine(db.Model):
    """Units of one order line a shipment carries: one inventory reservation.
    Reached through its shipment (which carries the scopes)."""

    __tablename__ = "orders_shipment_line"

    id = db.Column(db.Integer, primary_key=True)
    shipment_id = db.Column(db.Integer, db.ForeignKey("orders_shipment.id", ondelete="CASCADE"), nullable=False)
    line_id = db.Column(db.Integer, db.ForeignKey("orders_order_line.id"), nullable=False)
    qty = db.Column(db.Integer, nullable=False)
    lock_id = db.Column(db.Integer, db.ForeignKey("inventory_stock_lock.id"), nullable=False, unique=True)

    shipment = db.relationship(Shipment, back_populates="lines")
    line = db.relationship(OrderLine)

    __table_args__ = (
        Index("ix_orders_shipment_line_shipment", "shipment_id"),
        Index("ix_orders_shipment_line_line", "line_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )


class Payment(db.Model):
    """Money received for an order, or (negative) owed back to the buyer."""

    __tablename__ = "orders_payment"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    kind = db.Column(db.String(16), nullable=False, default=PAYMENT)
    method = db.Column(db.String(32), nullable=False)
    amount = db.Column(MONEY, nullable=False)
    currency = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    provider_ref = db.Column(db.String(128))  # NULL: none given (manual payments, refunds)
    paid_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    order = db.relationship(Order, back_populates="payments")

    __table_args__ = (
        UniqueConstraint("method", "provider_ref", name="uq_orders_payment_provider_ref"),
        Index("ix_orders_payment_order", "order_id"),
        CheckConstraint("(kind = 'payment' AND amount > 0) OR (kind = 'refund' AND amount < 0)",
                        name="amount_sign"),
    )


class OrderHistory(db.Model):
    """One state change (or shipment) of an order."""

    __tablename__ = "orders_history"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    from_state = db.Column(db.String(24))  # NULL: the order was placed
    to_state = db.Column(db.String(24), nullable=False)
    note = db.Column(db.String(500), nullable=False, default="")
    user_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    # who took the step when it was not a user (an API token, a timer): the
    # audit trail's name for it, so the order page says the same as the trail
    actor = db.Column(db.String(120))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    order = db.relationship(Order, back_populates="history")
    user = db.relationship("User")

    __table_args__ = (Index("ix_orders_history_order", "order_id", "id"),)


class IdempotencyKey(db.Model):
    """A placement asked through the API with an ``Idempotency-Key``: the
    owner's key, the hash of the request, and the response given, so a retry
    gets the same answer instead of a second order. ``owner`` is ``platform``
    or ``merchant:<id>``: a key belongs to the token's owner, so a retry still
    matches after the token is replaced. The row is written in the placement's
    transaction, so a refused request leaves no key behind."""

    __tablename__ = "orders_idempotency_key"

    id = db.Column(db.Integer, primary_key=True)
    owner = db.Column(db.String(32), nullable=False)
    key = db.Column(db.String(100), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id", ondelete="CASCADE"))
    token_id = db.Column(db.Integer, db.ForeignKey("portal_api_token.id", ondelete="SET NULL"))
    request_hash = db.Column(db.String(64), nullable=False)
    status = db.Column(db.Integer)  # NULL while the request is being answered
    response = db.Column(db.Text)  # the JSON body answered
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("owner", "key", name="uq_orders_idempotency_key_owner"),
                      Index("ix_orders_idempotency_key_created", "created_at"))


# -- after-sales ----------------------------------------------------------------------
# A case is one request of the buyer after shipment: refund only (money back, the goods
# stay with the buyer), return and refund, or exchange (the goods come back, a
# replacement shipment goes out). ``services.after_sales`` moves it:
#   requested -> approved -> (return tracking recorded) -> returned -> refunded | exchanged
#   requested | approved -> rejected; requested | approved -> closed (withdrawn)
# refund only skips the return. A finished case (refunded, exchanged, rejected, closed)
# carries ``closed_at``, and the order closes when no other case of it is open.
REFUND_ONLY, RETURN_REFUND, EXCHANGE = "refund_only", "return_refund", "exchange"
CASE_KINDS = {REFUND_ONLY: N_("refund only"), RETURN_REFUND: N_("return and refund"), EXCHANGE: N_("exchange")}
CASE_REQUESTED, CASE_APPROVED, CASE_REJECTED, CASE_RETURNED = "requested", "approved", "rejected", "returned"
CASE_REFUNDED, CASE_EXCHANGED, CASE_CLOSED = "refunded", "exchanged", "closed"
CASE_STATUSES = {CASE_REQUESTED: N_("requested"), CASE_APPROVED: N_("approved"), CASE_REJECTED: N_("rejected"),
                 CASE_RETURNED: N_("goods received back"), CASE_REFUNDED: N_("refunded"),
                 CASE_EXCHANGED: N_("exchanged"), CASE_CLOSED: N_("closed (withdrawn)")}
CASE_OPEN = (CASE_REQUESTED, CASE_APPROVED, CASE_RETURNED)
CASE_REASONS = {
    "damaged": N_("Arrived damaged"), "defective": N_("Defective or not working"),
    "wrong_item": N_("Wrong item sent"), "missing_parts": N_("Missing parts or items"),
    "not_as_described": N_("Not as described"), "changed_mind": N_("Changed mind"), "other": N_("Other"),
}
RESTOCK_SELLABLE, RESTOCK_DAMAGED = "sellable", "damaged"
RESTOCK_CHOICES = {RESTOCK_SELLABLE: N_("sellable again"), RESTOCK_DAMAGED: N_("damaged")}


class AfterSalesCase(db.Model):
    """One after-sales request of an order: what the buyer asked, the decision, the return, the money."""

    __tablename__ = "orders_after_sales_case"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    reason = db.Column(db.String(32), nullable=False)
    note = db.Column(db.String(500), nullable=False, default="")
    status = db.Column(db.String(16), nullable=False, default=CASE_REQUESTED)
    currency = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    requested_amount = db.Column(MONEY, nullable=False, default=0)
    approved_amount = db.Column(MONEY)  # NULL until approved
    rejection_reason = db.Column(db.String(500), nullable=False, default="")
    return_carrier = db.Column(db.String(64), nullable=False, default="")
    return_tracking = db.Column(db.String(64), nullable=False, default="")
    requested_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    decided_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    decided_at = db.Column(db.DateTime)
    return_sent_at = db.Column(db.DateTime)
    received_at = db.Column(db.DateTime)
    refunded_at = db.Column(db.DateTime)
    closed_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    order = db.relationship(Order)
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    lines = db.relationship("AfterSalesLine", back_populates="case", order_by="AfterSalesLine.id",
                            cascade="all, delete-orphan")
    photos = db.relationship("AfterSalesPhoto", back_populates="case", order_by="AfterSalesPhoto.id",
                             cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_orders_after_sales_case_order", "order_id", "id"),
        Index("ix_orders_after_sales_case_merchant", "merchant_id", "status", "id"),
        CheckConstraint("requested_amount >= 0 AND (approved_amount IS NULL OR approved_amount >= 0)",
                        name="amounts_not_negative"),
    )


class AfterSalesLine(db.Model):
    """Units of one order line a case is about; once the goods are back, how
    many came and whether they are sellable again or damaged. Reached through
    its case (which carries the scope)."""

    __tablename__ = "orders_after_sales_line"

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("orders_after_sales_case.id", ondelete="CASCADE"), nullable=False)
    line_id = db.Column(db.Integer, db.ForeignKey("orders_order_line.id"), nullable=False)
    qty = db.Column(db.Integer, nullable=False)
    returned_qty = db.Column(db.Integer)  # NULL until the goods are received
    restock = db.Column(db.String(16))  # sellable or damaged, once received

    case = db.relationship(AfterSalesCase, back_populates="lines")
    line = db.relationship(OrderLine)

    __table_args__ = (
        UniqueConstraint("case_id", "line_id", name="uq_orders_after_sales_line_case_line"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("returned_qty IS NULL OR (returned_qty >= 0 AND returned_qty <= qty)",
                        name="returned_within_qty"),
    )


class AfterSalesPhoto(db.Model):
    """A photo the buyer sent as evidence (a checked, re-encoded ``StoredFile``)."""

    __tablename__ = "orders_after_sales_photo"

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("orders_after_sales_case.id", ondelete="CASCADE"), nullable=False)
    file_id = db.Column(db.Integer, db.ForeignKey("portal_stored_file.id"), nullable=False)

    case = db.relationship(AfterSalesCase, back_populates="photos")
    file = db.relationship("StoredFile")

    __table_args__ = (Index("ix_orders_after_sales_photo_case", "case_id"),)


MODELS = [Checkout, Order, OrderLine, Adjustment, Shipment, ShipmentLine, Payment, OrderHistory, IdempotencyKey,
          AfterSalesCase, AfterSalesLine, AfterSalesPhoto]
