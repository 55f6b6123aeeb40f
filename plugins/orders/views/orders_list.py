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
from typing import NamedTuple

from flask import url_for
from flask_babel import get_timezone, gettext, ngettext
from sqlalchemy import and_, or_, select

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
        """The filtered select of the list's columns, newest first (see the
        module's docstring); ``list_rows`` makes a page of it into rows."""
        query = (select(Order.id, Order.number, Order.state, Order.currency, Order.total, Order.placed_at,
                        Merchant.code.label("merchant_code"), Checkout.buyer_name, Checkout.customer_ref)
                 .join(Order.checkout).join(Merchant, Merchant.id == Order.merchant_id))
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


class OrderRow(NamedTuple):
    """One line of the list, as shown."""

    id: int
    number: str
    url: str
    merchant_code: str
    buyer_name: str
    customer_ref: str
    placed: str
    state: str
    total: str
    currency: str
    shipments: str
    print_label: str


def list_rows(found, state_label, money, localtime):
    """The page's rows, written out here rather than in the template: a list
    of fifty is most of the page's time, so each row costs one pass over
    plain values, and the shipments of the whole page are one query."""
    ids = [row.id for row in found]
    tracking = {order_id: [] for order_id in ids}
    if ids:
        for order_id, number in db.session.execute(select(Shipment.order_id, Shipment.tracking_number)
                                                   .where(Shipment.order_id.in_(ids)).order_by(Shipment.id)):
            tracking[order_id].append(number)
    labels, counts = {}, {}
    url = url_for("orders_orders.detail", order_id=0)[:-1]  # the id is the URL's last part
    print_label = gettext("Print %(order)s")
    rows = []
    for row in found:
        numbers = [n for n in tracking[row.id] if n]
        if row.state not in labels:
            labels[row.state] = state_label(row.state)
        rows.append(OrderRow(
            row.id, row.number, f"{url}{row.id}", row.merchant_code, row.buyer_name, row.customer_ref or "",
            localtime(row.placed_at), labels[row.state], money(row.total, row.currency), row.currency,
            ", ".join(numbers) if numbers else _shipments(counts, len(tracking[row.id])),
            print_label % {"order": row.number}))
    return rows


def _shipments(counts, n):
    """"2 shipments", written once per count on a page."""
    if n not in counts:
        counts[n] = ngettext("%(num)d shipment", "%(num)d shipments", n)
    return counts[n]


def merchant_choices(user):
    """The merchants platform staff may filter by; none for merchant staff."""
    if user.merchant_id is not None:
        return []
    return db.session.execute(access.scoped(select(Merchant), Merchant, "read")
                              .order_by(Merchant.code)).scalars().all()
