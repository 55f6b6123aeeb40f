"""Placing a checkout: validate the buyer and every line, split the lines per
merchant, price each merchant's part (``pricing``), write the checkout and its
orders, and reserve their stock per warehouse (``stock``), all or nothing.
``quote`` prices the same way and writes nothing (the live price preview).

Orders are reserved in merchant order and the inventory locks each order's
stock rows in SKU order; a SKU belongs to one merchant, so concurrent
placements take their row locks in one global order and cannot deadlock."""
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.catalog.models import SHELF_ON, Product, Sku
from plugins.inventory.services import InsufficientStock
from portal import regions
from portal.extensions import db

from ..events import OrderPlaced
from ..models import PENDING_PAYMENT, Adjustment, Checkout, Order, OrderLine
from . import stock
from .core import ORDER, guard, now_or, text
from .errors import (EmptyOrder, InvalidField, InvalidQuantity, MixedCurrencies, OutOfStock, SkuNotOnSale,
                     UnknownSku)
from .lifecycle import pay
from .machine import log
from .pricing import Draft, DraftLine, price

REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_LINES = 500
MAX_COUPONS = 5
COUPON = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Buyer:
    """The buyer and shipping address as the order keeps them."""

    name: str
    phone: str
    region: str  # ISO 3166: CN or CN-GD
    address: str
    email: str = ""
    city: str = ""
    district: str = ""
    postcode: str = ""
    city_code: str = ""  # GB/T 2260 code of a prefecture-level city of ``region`` (440300), or empty

    @property
    def country(self):
        return self.region[:2]


def clean_buyer(buyer):
    """A ``Buyer`` from a mapping (or a ``Buyer``); ``InvalidField`` naming the
    field. ``region`` may be a city's code: its province is inferred (see
    ``clean_destination``) and a blank ``city`` gets the city's name as
    addresses in China write it."""
    data = buyer.__dict__ if isinstance(buyer, Buyer) else dict(buyer or {})
    region, city_code = clean_destination(data.get("city_code") or data.get("region"))
    if city_code and not (data.get("city") or "").strip():
        data = {**data, "city": regions.name(city_code, "zh")}
    email = text(data.get("email"), "email", 254)
    if email and not EMAIL.match(email):
        raise InvalidField("email", _("%(value)r is not an e-mail address.", value=email))
    return Buyer(name=text(data.get("name"), "name", 120, required=True),
                 phone=text(data.get("phone"), "phone", 40, required=True), region=region,
                 address=text(data.get("address"), "address", 500, required=True), email=email,
                 city=text(data.get("city"), "city", 100), district=text(data.get("district"), "district", 100),
                 postcode=text(data.get("postcode"), "postcode", 20), city_code=city_code)


def clean_region(value):
    """An ISO 3166 region code, upper case: ``CN`` or ``CN-GD``."""
    region = text(value, "region", 8, required=True).upper()
    if not REGION.match(region):
        raise InvalidField("region", _("%(value)r is not an ISO country (CN) or subdivision (CN-GD) code.",
                                       value=region))
    return region


def clean_destination(value):
    """``(region, city code)`` from what a buyer gave as the region: an ISO
    code (``CN``, ``CN-GD``; no city), or the GB/T 2260 code of a Chinese
    prefecture-level city (``440300``: ``("CN-GD", "440300")``).
    ``InvalidField("region")`` naming a six-digit code that is no such city."""
    raw = text(value, "region", 8, required=True).upper()
    if not regions.is_city_code(raw):
        return clean_region(raw), ""
    city = regions.get(raw)
    if city is None or city.level != regions.CITY:
        raise InvalidField("region", _("%(code)s is not the code of a city of China: give a prefecture-level "
                                       "city's GB/T 2260 code (440300 for Shenzhen) or a province (CN-GD).",
                                       code=raw))
    return city.parent, raw


def _whole(value):
    """A whole number above zero from an int or digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if number > 0 else None


def parse_lines(lines):
    """``[(line number, sku_id, qty)]`` from mappings ``{"sku_id", "qty"}`` or
    pairs ``(sku_id, qty)``; a SKU given twice becomes one line (the first)."""
    lines = list(lines or ())
    if not lines:
        raise EmptyOrder()
    if len(lines) > MAX_LINES:
        raise InvalidField("lines", _("at most %(n)s lines per order.", n=MAX_LINES))
    merged, order = {}, []
    for number, line in enumerate(lines, start=1):
        sku_value, qty_value = (line.get("sku_id"), line.get("qty")) if isinstance(line, dict) else tuple(line)
        sku_id = _whole(sku_value)
        if sku_id is None:
            raise UnknownSku(number, sku_value)
        qty = _whole(qty_value)
        if qty is None:
            raise InvalidQuantity(number, qty_value)
        if sku_id in merged:
            merged[sku_id][2] += qty
        else:
            merged[sku_id] = [number, sku_id, qty]
            order.append(sku_id)
    return [tuple(merged[sku_id]) for sku_id in order]


def clean_coupon_codes(codes):
    """The coupon codes a buyer presented, upper case, each once, in the order
    given: from a list or from text separated by commas or spaces.
    ``InvalidField("coupon_codes")`` naming a malformed code."""
    if isinstance(codes, str):
        codes = re.split(r"[\s,;]+", codes)
    cleaned = []
    for code in codes or ():
        if not isinstance(code, str):
            raise InvalidField("coupon_codes", _("%(value)r is not a coupon code.", value=code))
        code = code.strip().upper()
        if not code or code in cleaned:
            continue
        if not COUPON.match(code):
            raise InvalidField("coupon_codes", _("%(value)r is not a coupon code: up to 40 letters, digits, "
                                                 "dashes or underscores.", value=code))
        cleaned.append(code)
    if len(cleaned) > MAX_COUPONS:
        raise InvalidField("coupon_codes", _("at most %(n)s coupon codes per order.", n=MAX_COUPONS))
    return tuple(cleaned)


def build_drafts(actor, lines, region, channel="", customer_ref="", coupon_codes=(), points=0, city_code=""):
    """One ``Draft`` per merchant (by merchant id) from raw lines, each with the
    checkout line numbers of its lines; validates SKUs, shelf, merchant and
    currency. ``[(draft, [line number, ...])]``. Every draft carries the
    ``points`` the buyer spends on the whole checkout and the checkout's
    ``parts``, so the plugin taking points spreads them over the orders."""
    parsed = parse_lines(lines)
    rows = {sku.id: (sku, product) for sku, product in db.session.execute(
        select(Sku, Product).join(Product, Product.id == Sku.product_id)
        .where(Sku.id.in_([sku_id for _n, sku_id, _q in parsed])))}
    merchant_only = getattr(actor, "merchant_id", None)
    currency = None
    by_merchant = defaultdict(list)
    for number, sku_id, qty in parsed:
        sku, product = rows.get(sku_id, (None, None))
        if sku is None or (merchant_only is not None and sku.merchant_id != merchant_only):
            raise UnknownSku(number, sku_id)
        if not sku.active or product.shelf_status != SHELF_ON:
            raise SkuNotOnSale(number, sku.code)
        if currency is not None and sku.currency != currency:
            raise MixedCurrencies(number, sku.code, sku.currency, currency)
        currency = sku.currency
        by_merchant[sku.merchant_id].append((number, sku, product, qty))
    points = clean_points(points)
    parts = []
    for merchant_id in sorted(by_merchant):
        entries = by_merchant[merchant_id]
        draft_lines = tuple(DraftLine(i, sku.id, sku.code, _title(product, sku), qty, Decimal(sku.price), currency)
                            for i, (_n, sku, product, qty) in enumerate(entries))
        parts.append((Draft(merchant_id, currency, draft_lines, region, channel, customer_ref, coupon_codes,
                            points, city_code=city_code), [number for number, *_rest in entries]))
    # every part knows the whole checkout, so the points can be spread over its merchants' orders
    totals = tuple((draft.merchant_id, draft.list_total) for draft, _numbers in parts)
    return [(replace(draft, parts=totals), numbers) for draft, numbers in parts]


def clean_points(value):
    """The points to spend: a whole number, zero or more (empty: none)."""
    if value is None or str(value).strip() in ("", "0"):
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    number = _whole(value)
    if number is None:
        raise InvalidField("points", _("%(value)r is not a whole number of points.", value=value))
    return number


def _title(product, sku):
    label = sku.label
    return (f"{product.title_en} ({label})" if label else product.title_en)[:300]


def quote(actor, lines, region, channel="", customer_ref="", coupon_codes=(), points=0):
    """Price raw lines for a buyer in ``region`` (or a city's code) without
    writing anything: one ``Priced`` per merchant. The same checks as
    ``place``, stock aside."""
    guard(actor, ORDER, "write")
    region, city_code = clean_destination(region)
    coupon_codes = clean_coupon_codes(coupon_codes)
    return [price(draft) for draft, _numbers in build_drafts(actor, lines, region, channel, customer_ref,
                                                              coupon_codes, points, city_code)]


def place(actor, channel, buyer, lines, customer_ref="", now=None, coupon_codes=(), points=0):
    """Place a checkout for ``buyer`` through ``channel``: one order per
    merchant, each priced and its stock reserved per warehouse; returns the
    ``Checkout``; ``coupon_codes`` are the codes the buyer presented, passed to
    the pricing plugins in the draft; ``points`` the buyer spends (see
    ``build_drafts``). All or nothing: a bad line (``InvalidLine`` naming it), a
    pricing answer that cannot be recorded, a line the stock cannot serve
    (``OutOfStock``, an ``InsufficientStock``) or a listener refusing
    ``OrderPlaced`` leaves nothing written."""
    guard(actor, ORDER, "write")
    now = now_or(now)
    channel = text(channel, "channel", 32, required=True)
    customer_ref = text(customer_ref, "customer_ref", 64)
    buyer = clean_buyer(buyer)
    coupon_codes = clean_coupon_codes(coupon_codes)
    drafts = build_drafts(actor, lines, buyer.region, channel, customer_ref, coupon_codes, points, buyer.city_code)
    priced = [(price(draft), numbers) for draft, numbers in drafts]
    try:
        with db.session.begin_nested():
            checkout = _write(actor, channel, buyer, customer_ref, priced, now)
            for order in checkout.orders:
                stock.reserve(order, {line: line.qty for line in order.lines}, now)
            for order in checkout.orders:
                log(actor, order, None, PENDING_PAYMENT, OrderPlaced(
                    order.id, order.number, order.merchant_id, checkout.id, order.total, order.currency,
                    customer_ref), now=now, action="place", total=str(order.total), currency=order.currency,
                    channel=channel)
            for order in checkout.orders:
                if order.total == 0:  # nothing to pay: straight to shipment
                    pay(actor, order, note=_("Nothing to pay."), now=now)
    except InsufficientStock as exc:
        raise _out_of_stock(exc, priced, buyer.region) from exc
    return checkout


def _provisional():
    """A unique stand-in for a number until the row's id is known."""
    return f"~{uuid.uuid4().hex[:23]}"


def _write(actor, channel, buyer, customer_ref, priced, now):
    totals = [p for p, _numbers in priced]
    currency = totals[0].draft.currency
    checkout = Checkout(
        number=_provisional(), channel=channel, customer_ref=customer_ref, buyer_name=buyer.name,
        buyer_phone=buyer.phone, buyer_email=buyer.email, ship_country=buyer.country, ship_region=buyer.region,
        ship_city=buyer.city, ship_city_code=buyer.city_code, ship_district=buyer.district, ship_address=buyer.address,
        ship_postcode=buyer.postcode, currency=currency, subtotal=sum(p.subtotal for p in totals),
        adjustments_total=sum(p.adjustments_total for p in totals), total=sum(p.total for p in totals),
        placed_at=now, created_by_id=getattr(actor, "id", None))
    db.session.add(checkout)
    for p in totals:
        draft = p.draft
        lines = [OrderLine(merchant_id=draft.merchant_id, position=line.index, sku_id=line.sku_id,
                           sku_code=line.sku_code, title=line.title, qty=line.qty, unit_price=line.unit_price,
                           line_total=p.line_totals[line.index]) for line in draft.lines]
        adjustments = [Adjustment(line=None if a.line is None else lines[a.line], merchant_id=draft.merchant_id,
                                  source=a.source, kind=a.kind, reason=a.reason, amount=a.amount, created_at=now)
                       for a in p.adjustments]
        checkout.orders.append(Order(
            number=_provisional(), merchant_id=draft.merchant_id, state=PENDING_PAYMENT, currency=currency,
            subtotal=p.subtotal, adjustments_total=p.adjustments_total, total=p.total, placed_at=now, lines=lines,
            adjustments=adjustments))
    db.session.flush()
    checkout.number = f"C{now:%Y%m%d}{checkout.id:07d}"
    for order in checkout.orders:
        order.number = f"O{now:%Y%m%d}{order.id:07d}"
    db.session.flush()
    return checkout


def _out_of_stock(exc, priced, region):
    """The inventory's refusal, told with the checkout's line and SKU code."""
    if isinstance(exc, OutOfStock):
        return exc
    for p, numbers in priced:
        for line in p.draft.lines:
            if line.sku_id == exc.sku_id:
                return OutOfStock(numbers[line.index], line.sku_code, line.sku_id, exc.requested, exc.available,
                                  region)
    return exc
