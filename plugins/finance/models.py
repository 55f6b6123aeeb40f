"""Finance tables (prefix ``finance_``).

- ``Account``: a bank account or payment-provider balance of the platform,
  in one currency; ``methods`` lists the order payment methods whose money
  arrives there; an optional saved CSV column mapping.
- ``Statement``: one statement read from an imported file (a file may hold
  several), its balances and whether opening + lines = closing.
- ``StatementLine``: a booked movement; ``fingerprint`` is unique per account,
  so the same movement from a file imported again, or from an overlapping
  statement, is stored once.
- ``Receivable``: one order payment (positive) or refund (negative) the
  platform expects to see on a statement; ``payment_id`` is unique, so the
  events that create them may run twice.
- ``Match``: part of a statement line allocated to a receivable (a line split
  over several receivables has several), by the matcher or by a person.
- ``Flag``: a mismatch between what arrived and what was expected, with its
  status (open, explained, resolved) and the reason given.
"""
from sqlalchemy import Index, UniqueConstraint

from portal.extensions import db
from portal.i18n import N_
from portal.models import utcnow

MONEY = db.Numeric(18, 4)

OPEN, EXPLAINED, RESOLVED = "open", "explained", "resolved"
FLAG_STATUSES = {OPEN: N_("open"), EXPLAINED: N_("explained"), RESOLVED: N_("resolved")}
AMOUNT_DIFFERS, UNPAID_ORDER, NOT_RECEIVED, DUPLICATE, CURRENCY_DIFFERS, UNBALANCED = (
    "amount_differs", "unpaid_order", "not_received", "duplicate", "currency_differs", "unbalanced")
FLAG_KINDS = {
    AMOUNT_DIFFERS: N_("amount received differs from the receivable"),
    UNPAID_ORDER: N_("money received for an unpaid or cancelled order"),
    NOT_RECEIVED: N_("order paid but no statement line"),
    DUPLICATE: N_("the same payment received twice"),
    CURRENCY_DIFFERS: N_("currency differs"),
    UNBALANCED: N_("statement does not balance"),
}
BANK, PROVIDER = "bank", "provider"
ACCOUNT_KINDS = {BANK: N_("bank account"), PROVIDER: N_("payment provider")}
UNMATCHED, MATCHED = "unmatched", "matched"


class Account(db.Model):
    """A platform account that statements are imported into."""

    __tablename__ = "finance_account"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    kind = db.Column(db.String(16), nullable=False, default=BANK)
    currency = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    number = db.Column(db.String(64), nullable=False, default="")  # IBAN or account number; "" = not checked
    methods = db.Column(db.String(200), nullable=False, default="")  # comma-separated payment methods
    csv_mapping = db.Column(db.JSON)  # ColumnMapping fields, or NULL
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return f"{self.code} {self.name}"


class Statement(db.Model):
    """One statement of an imported file."""

    __tablename__ = "finance_statement"

    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("finance_account.id"), nullable=False)
    file_name = db.Column(db.String(255), nullable=False)
    file_sha256 = db.Column(db.String(64), nullable=False)
    format = db.Column(db.String(16), nullable=False)
    encoding = db.Column(db.String(16), nullable=False)
    reference = db.Column(db.String(120), nullable=False, default="")
    currency = db.Column(db.String(3), nullable=False)
    opening = db.Column(MONEY)
    closing = db.Column(MONEY)
    starts_on = db.Column(db.Date)
    ends_on = db.Column(db.Date)
    balanced = db.Column(db.Boolean, nullable=False, default=True)
    problem = db.Column(db.String(500), nullable=False, default="")
    lines_in_file = db.Column(db.Integer, nullable=False, default=0)
    lines_stored = db.Column(db.Integer, nullable=False, default=0)
    imported_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    imported_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    account = db.relationship(Account)
    imported_by = db.relationship("User")

    __table_args__ = (Index("ix_finance_statement_account", "account_id", "imported_at"),
                      Index("ix_finance_statement_file", "account_id", "file_sha256"))

    def __str__(self):
        return self.reference or f"#{self.id}"


class StatementLine(db.Model):
    """A booked movement on an account."""

    __tablename__ = "finance_statement_line"

    id = db.Column(db.Integer, primary_key=True)
    statement_id = db.Column(db.Integer, db.ForeignKey("finance_statement.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("finance_account.id"), nullable=False)
    file_line = db.Column(db.Integer, nullable=False)
    booked_on = db.Column(db.Date, nullable=False)
    amount = db.Column(MONEY, nullable=False)
    fee = db.Column(MONEY, nullable=False, default=0)
    currency = db.Column(db.String(3), nullable=False)
    reference = db.Column(db.String(200), nullable=False, default="")
    bank_ref = db.Column(db.String(200), nullable=False, default="")
    counterparty = db.Column(db.String(200), nullable=False, default="")
    description = db.Column(db.String(1000), nullable=False, default="")
    fingerprint = db.Column(db.String(64), nullable=False)
    status = db.Column(db.String(16), nullable=False, default=UNMATCHED)
    matched = db.Column(MONEY, nullable=False, default=0)

    statement = db.relationship(Statement)
    account = db.relationship(Account)

    __table_args__ = (UniqueConstraint("account_id", "fingerprint", name="uq_finance_line_fingerprint"),
                      Index("ix_finance_line_status", "status", "booked_on", "id"),
                      Index("ix_finance_line_statement", "statement_id", "id"),
                      Index("ix_finance_line_reference", "reference"))

    def __str__(self):
        return f"{self.booked_on} {self.amount} {self.currency} {self.reference}".strip()


class Receivable(db.Model):
    """An order payment or refund expected on a statement."""

    __tablename__ = "finance_receivable"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("orders_payment.id"), nullable=False, unique=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    order_number = db.Column(db.String(24), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    channel = db.Column(db.String(32), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("finance_account.id"))
    kind = db.Column(db.String(16), nullable=False)
    amount = db.Column(MONEY, nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    reference = db.Column(db.String(128), nullable=False, default="")
    due_on = db.Column(db.DateTime, nullable=False)
    status = db.Column(db.String(16), nullable=False, default=UNMATCHED)
    matched = db.Column(MONEY, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    account = db.relationship(Account)

    __table_args__ = (Index("ix_finance_receivable_reference", "reference"),
                      Index("ix_finance_receivable_order", "order_number"),
                      Index("ix_finance_receivable_status", "status", "due_on"),
                      Index("ix_finance_receivable_amount", "currency", "amount", "status"),
                      Index("ix_finance_receivable_merchant", "merchant_id", "due_on"))

    def __str__(self):
        return f"{self.order_number} {self.amount} {self.currency}"


class Match(db.Model):
    """Part of a statement line allocated to a receivable."""

    __tablename__ = "finance_match"

    id = db.Column(db.Integer, primary_key=True)
    line_id = db.Column(db.Integer, db.ForeignKey("finance_statement_line.id"), nullable=False)
    receivable_id = db.Column(db.Integer, db.ForeignKey("finance_receivable.id"), nullable=False)
    amount = db.Column(MONEY, nullable=False)
    automatic = db.Column(db.Boolean, nullable=False, default=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    line = db.relationship(StatementLine, backref=db.backref("matches", order_by="Match.id"))
    receivable = db.relationship(Receivable, backref=db.backref("matches", order_by="Match.id"))

    __table_args__ = (UniqueConstraint("line_id", "receivable_id", name="uq_finance_match_pair"),
                      Index("ix_finance_match_receivable", "receivable_id"))


class Flag(db.Model):
    """A mismatch to look at. ``key`` makes raising the same flag again a no-op."""

    __tablename__ = "finance_flag"

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(120), nullable=False, unique=True)
    kind = db.Column(db.String(24), nullable=False)
    status = db.Column(db.String(16), nullable=False, default=OPEN)
    detail = db.Column(db.String(500), nullable=False, default="")
    reason = db.Column(db.String(500), nullable=False, default="")
    line_id = db.Column(db.Integer, db.ForeignKey("finance_statement_line.id"))
    receivable_id = db.Column(db.Integer, db.ForeignKey("finance_receivable.id"))
    statement_id = db.Column(db.Integer, db.ForeignKey("finance_statement.id"))
    order_number = db.Column(db.String(24), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)
    updated_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    line = db.relationship(StatementLine)
    receivable = db.relationship(Receivable)
    statement = db.relationship(Statement)

    __table_args__ = (Index("ix_finance_flag_status", "status", "created_at"),)


MERCHANT_BEARS, PLATFORM_BEARS = "merchant", "platform"
FEE_BEARERS = {MERCHANT_BEARS: N_("the merchant pays provider fees"),
               PLATFORM_BEARS: N_("the platform pays provider fees")}
AWAITING_APPROVAL, READY, APPROVED = "awaiting_approval", "ready", "approved"
SETTLEMENT_STATUSES = {AWAITING_APPROVAL: N_("awaiting approval"), READY: N_("ready to pay"),
                       APPROVED: N_("approved")}
SALE, REFUND = "sale", "refund"


class CommissionRule(db.Model):
    """What the platform keeps of a merchant's sales: ``percent`` of the
    amount plus ``fixed`` per order; the rule of highest priority valid on the
    order's day for its merchant (or every merchant) and its category (or
    every category) applies."""

    __tablename__ = "finance_commission_rule"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"))  # NULL: every merchant
    category_id = db.Column(db.Integer, db.ForeignKey("catalog_category.id"))  # NULL: every category
    percent = db.Column(db.Numeric(7, 4), nullable=False)
    fixed = db.Column(MONEY, nullable=False, default=0)
    fee_bearer = db.Column(db.String(16), nullable=False, default=MERCHANT_BEARS)
    priority = db.Column(db.Integer, nullable=False, default=0)
    valid_from = db.Column(db.Date, nullable=False)
    valid_to = db.Column(db.Date)  # NULL: open-ended
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    merchant = db.relationship("Merchant")

    def __str__(self):
        return self.name


class Settlement(db.Model):
    """What a merchant is paid for one period, in one currency:
    ``payout = captured - refunded - commission - fees`` to the cent."""

    __tablename__ = "finance_settlement"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(40), nullable=False, unique=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)  # the day after the period's last day
    currency = db.Column(db.String(3), nullable=False)
    captured = db.Column(MONEY, nullable=False, default=0)
    refunded = db.Column(MONEY, nullable=False, default=0)
    commission = db.Column(MONEY, nullable=False, default=0)
    fees = db.Column(MONEY, nullable=False, default=0)
    payout = db.Column(MONEY, nullable=False, default=0)
    status = db.Column(db.String(24), nullable=False, default=READY)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    approved_at = db.Column(db.DateTime)
    approved_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    merchant = db.relationship("Merchant")
    lines = db.relationship("SettlementLine", back_populates="settlement", order_by="SettlementLine.id")
    approved_by = db.relationship("User", foreign_keys=[approved_by_id])

    __table_args__ = (UniqueConstraint("merchant_id", "period_start", "currency", name="uq_finance_settlement_period"),
                      Index("ix_finance_settlement_merchant", "merchant_id", "period_start"),
                      Index("ix_finance_settlement_status", "status", "period_start"))

    def __str__(self):
        return self.number


class SettlementLine(db.Model):
    """One order payment or refund settled: settled once (``payment_id`` unique)."""

    __tablename__ = "finance_settlement_line"
    __portal_scopes__ = {"merchant": "merchant_id"}

    id = db.Column(db.Integer, primary_key=True)
    settlement_id = db.Column(db.Integer, db.ForeignKey("finance_settlement.id"), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), nullable=False)
    payment_id = db.Column(db.Integer, db.ForeignKey("orders_payment.id"), nullable=False, unique=True)
    order_id = db.Column(db.Integer, db.ForeignKey("orders_order.id"), nullable=False)
    order_number = db.Column(db.String(24), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    rule_id = db.Column(db.Integer, db.ForeignKey("finance_commission_rule.id", ondelete="SET NULL"))
    captured = db.Column(MONEY, nullable=False, default=0)
    refunded = db.Column(MONEY, nullable=False, default=0)
    commission = db.Column(MONEY, nullable=False, default=0)
    fees = db.Column(MONEY, nullable=False, default=0)
    payout = db.Column(MONEY, nullable=False, default=0)

    settlement = db.relationship(Settlement, back_populates="lines")

    __table_args__ = (Index("ix_finance_settlement_line_settlement", "settlement_id", "id"),)


MODELS = [Account, Statement, StatementLine, Receivable, Match, Flag, CommissionRule, Settlement, SettlementLine]
