"""Promotions tables (prefix ``promotions_``).

- ``Rule``: one marketing rule: its kind and the kind's parameters (JSON,
  amounts as strings), a time window, a status (active, paused, ended), a
  priority and stacking (exclusive, the rules it combines with), who funds it,
  caps (minimum spend, maximum discount per order, budget, total uses,
  uses or units per customer) and the counters those caps are checked against.
  ``merchant_id`` None is a platform rule.
- ``RuleTarget``: the rule's scope, one row per category, brand, product, SKU
  or merchant it covers (``store`` for everything): the engine finds the rules
  a cart can match through this index instead of reading every live rule.
- ``CouponCode``: a code of a coupon rule: the shared one, or one of a
  generated batch, with its own use counter; a code issued to one customer
  (``channel`` and ``customer_ref`` set) works for that customer only.
- ``CustomerUse``: uses (coupons) or units (flash sales) a customer took of a
  rule, for the per-customer caps.
- ``OrderRecord``: what the engine decided for an order when it was placed:
  the explanation, and whether its usage was given back (cancelled).
- ``OrderDiscount``: each discount given to an order: rule, line, amount and
  the split between platform and merchant for settlement.
"""
import json

from sqlalchemy import CheckConstraint, Index

from portal.extensions import db
from portal.i18n import N_
from portal.models import utcnow

MONEY = db.Numeric(18, 4)

PERCENT, AMOUNT, TIERS, N_ITEMS, BUY_GET, FLASH, COUPON = (
    "percent", "amount", "tiers", "n_items", "buy_get", "flash", "coupon")
KINDS = (PERCENT, AMOUNT, TIERS, N_ITEMS, BUY_GET, FLASH, COUPON)
KIND_LABELS = {
    PERCENT: N_("Percentage off"), AMOUNT: N_("Amount off"), TIERS: N_("Spend X save Y"),
    N_ITEMS: N_("N items for a discount"), BUY_GET: N_("Buy X get Y"), FLASH: N_("Flash sale"),
    COUPON: N_("Coupon"),
}
ACTIVE, PAUSED, ENDED = "active", "paused", "ended"
STATUSES = (ACTIVE, PAUSED, ENDED)
STORE, CATEGORY, BRAND, PRODUCT, SKU, MERCHANT = "store", "category", "brand", "product", "sku", "merchant"
SCOPES = (STORE, CATEGORY, BRAND, PRODUCT, SKU, MERCHANT)
SCOPE_LABELS = {STORE: N_("Whole store"), CATEGORY: N_("Categories (with their children)"), BRAND: N_("Brands"),
                PRODUCT: N_("Products"), SKU: N_("SKUs"), MERCHANT: N_("Merchants")}
FUNDERS = ("platform", "merchant", "split")
FUNDER_LABELS = {"platform": N_("Platform"), "merchant": N_("Merchant"), "split": N_("Split")}


class Rule(db.Model):
    """A promotion rule."""

    __tablename__ = "promotions_rule"

    id = db.Column(db.Integer, primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))
    name = db.Column(db.String(120), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    params_json = db.Column(db.Text, nullable=False, default="{}")
    status = db.Column(db.String(8), nullable=False, default=ACTIVE)
    starts_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    ends_at = db.Column(db.DateTime)
    priority = db.Column(db.Integer, nullable=False, default=0)
    exclusive = db.Column(db.Boolean, nullable=False, default=False)
    combines_with = db.Column(db.String(500), nullable=False, default="")  # rule ids, comma separated
    scope = db.Column(db.String(16), nullable=False, default=STORE)
    funder = db.Column(db.String(8), nullable=False, default="merchant")
    platform_share = db.Column(db.Numeric(7, 4), nullable=False, default=0)  # percent the platform funds
    min_spend = db.Column(MONEY)
    max_discount = db.Column(MONEY)
    budget = db.Column(MONEY)
    budget_used = db.Column(MONEY, nullable=False, default=0)
    usage_limit = db.Column(db.Integer)
    used_count = db.Column(db.Integer, nullable=False, default=0)
    per_customer_limit = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    merchant = db.relationship("Merchant")
    targets = db.relationship("RuleTarget", back_populates="rule", cascade="all, delete-orphan",
                              order_by="RuleTarget.ref_id")

    __table_args__ = (
        CheckConstraint("used_count >= 0", name="ck_promotions_rule_used"),
        CheckConstraint("budget_used >= 0", name="ck_promotions_rule_budget_used"),
        Index("ix_promotions_rule_live", "status", "starts_at"),
        Index("ix_promotions_rule_merchant", "merchant_id", "status"),
    )

    @property
    def params(self):
        return json.loads(self.params_json or "{}")

    @property
    def combines_with_ids(self):
        return sorted({int(part) for part in self.combines_with.split(",") if part.strip().isdigit()})

    @property
    def target_ids(self):
        return [t.ref_id for t in self.targets if t.kind != STORE]

    def __str__(self):
        return self.name


class RuleTarget(db.Model):
    """One thing a rule's scope covers; ``ref_id`` 0 for the whole store."""

    __tablename__ = "promotions_rule_target"

    rule_id = db.Column(db.Integer, db.ForeignKey("promotions_rule.id", ondelete="CASCADE"), primary_key=True)
    kind = db.Column(db.String(16), primary_key=True)
    ref_id = db.Column(db.Integer, primary_key=True)

    rule = db.relationship(Rule, back_populates="targets")

    __table_args__ = (Index("ix_promotions_rule_target_ref", "kind", "ref_id", "rule_id"),)


class CouponCode(db.Model):
    """A code that unlocks a coupon rule: shared (many uses) or from a batch (one use)."""

    __tablename__ = "promotions_coupon_code"

    id = db.Column(db.Integer, primary_key=True)
    rule_id = db.Column(db.Integer, db.ForeignKey("promotions_rule.id", ondelete="CASCADE"), nullable=False)
    code = db.Column(db.String(40), nullable=False, unique=True)
    batch = db.Column(db.String(40), nullable=False, default="")  # "" for the rule's shared code
    max_uses = db.Column(db.Integer)  # None: limited only by the rule's caps
    used_count = db.Column(db.Integer, nullable=False, default=0)
    # the one customer the code was issued to (as orders carry them at checkout); None: anyone
    channel = db.Column(db.String(32))
    customer_ref = db.Column(db.String(64))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    rule = db.relationship(Rule)

    __table_args__ = (
        CheckConstraint("used_count >= 0", name="ck_promotions_coupon_used"),
        CheckConstraint("(channel IS NULL) = (customer_ref IS NULL)", name="ck_promotions_coupon_holder"),
        Index("ix_promotions_coupon_rule", "rule_id", "batch", "id"),
    )

    def bound_to_other(self, channel, customer_ref):
        """Was the code issued to a customer other than ``(channel, customer_ref)``?"""
        return self.customer_ref is not None and (self.channel, self.customer_ref) != (channel, customer_ref)


class CustomerUse(db.Model):
    """Uses (coupons) or units (flash sales) of a rule a customer took."""

    __tablename__ = "promotions_customer_use"

    rule_id = db.Column(db.Integer, db.ForeignKey("promotions_rule.id", ondelete="CASCADE"), primary_key=True)
    customer_ref = db.Column(db.String(64), primary_key=True)
    used = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("used >= 0", name="ck_promotions_customer_use_used"),)


class OrderRecord(db.Model):
    """The engine's decision for one order, kept as it was when the order was placed."""

    __tablename__ = "promotions_order"

    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id", ondelete="CASCADE"), primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    customer_ref = db.Column(db.String(64), nullable=False, default="")
    explanation_json = db.Column(db.Text, nullable=False, default="[]")
    placed_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    released_at = db.Column(db.DateTime)  # usage given back when the order was cancelled

    discounts = db.relationship("OrderDiscount", back_populates="record", order_by="OrderDiscount.id",
                                cascade="all, delete-orphan")

    @property
    def explanation(self):
        return json.loads(self.explanation_json or "[]")


class OrderDiscount(db.Model):
    """One discount of an order (negative ``amount``), and who funds it."""

    __tablename__ = "promotions_order_discount"

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("promotions_order.order_id", ondelete="CASCADE"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    rule_id = db.Column(db.Integer, db.ForeignKey("promotions_rule.id"), nullable=False)
    code_id = db.Column(db.Integer, db.ForeignKey("promotions_coupon_code.id"))
    line_position = db.Column(db.Integer)  # the order line's position, None for the whole order
    amount = db.Column(MONEY, nullable=False)
    funder = db.Column(db.String(8), nullable=False)
    platform_amount = db.Column(MONEY, nullable=False)
    merchant_amount = db.Column(MONEY, nullable=False)
    units = db.Column(db.Integer, nullable=False, default=0)  # units counted against a per-customer cap

    record = db.relationship(OrderRecord, back_populates="discounts")
    rule = db.relationship(Rule)

    __table_args__ = (Index("ix_promotions_order_discount_rule", "rule_id", "order_id"),)


MODELS = [Rule, RuleTarget, CouponCode, CustomerUse, OrderRecord, OrderDiscount]

# what staff see of a rule's state and of a discount's funder (``services.rules.state_of``)
STATE_LABELS = {"running": N_("running"), "scheduled": N_("scheduled"), "paused": N_("paused"),
                "expired": N_("expired"), "ended": N_("ended"), "active": N_("active")}
FUNDER_NAMES = {"platform": N_("platform"), "merchant": N_("merchant"), "split": N_("split")}
