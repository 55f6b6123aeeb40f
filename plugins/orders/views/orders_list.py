"""The order list's filters and query.

Built for a million orders: the list is never counted
(``paginate(count=False)``) and is sorted newest first by ``(placed_at, id)``,
the order of the indexes ``(placed_at, id)`` and ``(merchant_id, placed_at,
id)`` (the second serves merchant staff and the merchant filter; the state
filter has ``(state, placed_at)``), so the database reads one page and stops.
Every other filter is an indexed lookup that narrows to a few orders: the
number (unique, exact or prefix), the checkout's customer reference or buyer
name (``(customer_ref, id)``, ``(buyer_name, id)``), the SKU code (the SKU's
code, then the lines' ``(sku_id, order_id)``) and the tracking number.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import get_timezone
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from plugins.catalog.models import Sku
from portal import access
from portal.extensions import db
from portal.models import Merchant

from ..models import STATES, Checkout, Order, OrderLine, Shipment

MAX_TEXT = 64


def _number(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def _text(raw):
    # a NUL cannot reach the database
    return (raw or "").replace("\x00", "").strip()[:MAX_TEXT]


def _day(raw):
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _prefix(column, value):
    """``column`` is or starts with ``value``, as a range the column's index
    serves on both databases (LIKE 'x%' is case-insensitive on SQLite, so its
    index cannot); the LIKE keeps the prefix exact under any collation."""
    return and_(column >= value, column < value + "\U0010ffff", column.startswith(value, autoescape=True))


def local_midnight_utc(day):
    """The UTC time (naive, as stored) at which ``day`` begins in the user's time zone."""
    tz = get_timezone()
    naive = datetime.combine(day, time.min)
    local = tz.localize(naive) if hasattr(tz, "localize") else naive.replace(tzinfo=tz)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass
class OrderFilters:
    """What the order list asks for; every field optional."""

    state: str = ""
    merchant_id: int | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    number: str = ""
    buyer: str = ""
    sku: str = ""
    tracking: str = ""
    invalid: list = field(default_factory=list)

    @classmethod
    def from_args(cls, args, merchant_staff=False):
        """Read the filters from request arguments; a date that does not parse
        is named in ``invalid`` and ignored. Merchant staff see one merchant,
        so their merchant filter is ignored."""
        state = args.get("state") or ""
        filters = cls(state=state if state in STATES else "",
                      merchant_id=None if merchant_staff else _number(args.get("merchant")),
                      placed_from=_day(args.get("from")), placed_to=_day(args.get("to")),
                      number=_text(args.get("number")).upper(), buyer=_text(args.get("buyer")),
                      sku=_text(args.get("sku")), tracking=_text(args.get("tracking")))
        for key in ("from", "to"):
            if (args.get(key) or "").strip() and _day(args.get(key)) is None:
                filters.invalid.append(key)
        return filters

    @property
    def active(self):
        """Does any filter narrow the list?"""
        return bool(self.state or self.merchant_id or self.placed_from or self.placed_to or self.number
                    or self.buyer or self.sku or self.tracking)

    def query(self):
        """The filtered select, newest first (see the module's docstring)."""
        query = (select(Order).join(Order.checkout)
                 .options(contains_eager(Order.checkout), selectinload(Order.merchant),
                          selectinload(Order.shipments)))
        query = access.scoped(query, Order, "read")
        if self.state:
            query = query.where(Order.state == self.state)
        if self.merchant_id is not None:
            query = query.where(Order.merchant_id == self.merchant_id)
        if self.placed_from:
            query = query.where(Order.placed_at >= local_midnight_utc(self.placed_from))
        if self.placed_to:
            query = query.where(Order.placed_at < local_midnight_utc(self.placed_to + timedelta(days=1)))
        if self.number:
            query = query.where(_prefix(Order.number, self.number))
        if self.buyer:
            checkouts = select(Checkout.id).where(or_(Checkout.customer_ref == self.buyer,
                                                      _prefix(Checkout.buyer_name, self.buyer)))
            query = query.where(Order.checkout_id.in_(checkouts))
        if self.sku:
            skus = select(Sku.id).where(_prefix(Sku.code, self.sku))
            query = query.where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku_id.in_(skus))))
        if self.tracking:
            query = query.where(Order.id.in_(select(Shipment.order_id)
                                             .where(Shipment.tracking_number == self.tracking)))
        return query.order_by(Order.placed_at.desc(), Order.id.desc())


def merchant_choices(user):
    """The merchants platform staff may filter by; none for merchant staff."""
    if user.merchant_id is not None:
        return []
    return db.session.execute(access.scoped(select(Merchant), Merchant, "read")
                              .order_by(Merchant.code)).scalars().all()
